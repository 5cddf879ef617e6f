// A small gzip decoder (RFC 1952 around RFC 1951 deflate), for the one client
// that does not take gzip: the console's files are compiled in compressed
// only, and such a client gets them decompressed on request. Keeping a
// second, identity copy of every file would cost the binary several times
// the compressed size.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace tend::web {

// The bytes of a single-member gzip file; fails ("unable to decompress: ...")
// on malformed input, a bad CRC-32 or length, or output past `max_size`.
Result<std::string> gunzip(std::string_view gz, size_t max_size = 16 * 1024 * 1024);

// CRC-32 (the gzip and zlib polynomial), for the trailer check.
uint32_t crc32_of(std::string_view data);

}  // namespace tend::web
