// SHA-1 (FIPS 180-4), only for checking "{SHA}<hex>" passwords the way
// supervisord does. Not for anything security-critical beyond that.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tend {

std::array<uint8_t, 20> sha1(std::string_view data);
// Lower-case hex of sha1(data), 40 characters.
std::string sha1_hex(std::string_view data);

}  // namespace tend
