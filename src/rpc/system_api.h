// The system.* namespace: listMethods, methodHelp, methodSignature and
// multicall, answered from a Dispatcher's registry.
//
// multicall follows supervisord rather than the usual XML-RPC convention:
// results are not wrapped in one-element arrays, a failed call becomes a
// {faultCode, faultString} struct in its slot, calls run strictly in order and
// a deferred call finishes before the next one starts.
#pragma once

#include "rpc/dispatcher.h"
#include "util/result.h"

namespace tend::rpc {

// Registers the four methods on `d`; `d` must outlive every call made through it.
Status install_system_api(Dispatcher& d);

}  // namespace tend::rpc
