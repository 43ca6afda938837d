// The one translation unit that compiles Boost.Asio's and Boost.Beast's
// implementation (BOOST_ASIO_SEPARATE_COMPILATION /
// BOOST_BEAST_SEPARATE_COMPILATION, set on every unit by gramkit_asio_flags
// in src/CMakeLists.txt). Every other unit only includes their headers,
// which keeps each one's compile time down (docs/building.md).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
