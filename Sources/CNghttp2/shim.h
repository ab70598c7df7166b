#ifndef CNGHTTP2_SHIM_H
#define CNGHTTP2_SHIM_H

// libnghttp2's header (Debian: libnghttp2-dev): HTTP/2 framing, HPACK and the stream state
// machine for the upstream client. ARCHITECTURE.md says why it is not written here.

#include <nghttp2/nghttp2.h>

#endif
