// igsim — bytes of the media files served at /media/<pk>.<ext>.
//
// Images are real, valid PNG files (decodable by any viewer) so download
// code can check what it saved; videos are a minimal MP4 header followed by
// deterministic filler (enough for size, Range and hashing tests).
#pragma once

#include <cstdint>
#include <string>

namespace igsim {

/// A valid RGB PNG of the given size; pixels depend only on `seed`.
std::string make_png(std::uint64_t seed, int width, int height);

/// An "ftyp"-headed MP4-like file of a size derived from the video's
/// dimensions and duration; bytes depend only on `seed`.
std::string make_mp4(std::uint64_t seed, int width, int height, double duration_seconds);

}  // namespace igsim
