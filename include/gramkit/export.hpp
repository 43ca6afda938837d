// gramkit — symbol visibility. libgramkit.so is built with hidden
// visibility; only declarations marked GRAMKIT_API are exported.
#pragma once

#if defined(GRAMKIT_STATIC_DEFINE)
#define GRAMKIT_API
#elif defined(__GNUC__)
#define GRAMKIT_API __attribute__((visibility("default")))
#else
#define GRAMKIT_API
#endif
