// igsim — PNG and MP4 byte generation (see media_files.hpp).
#include "media_files.hpp"

#include <stdexcept>
#include <string_view>

#include <zlib.h>

#include "rng.hpp"

namespace igsim {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
    out += static_cast<char>(v >> 24);
    out += static_cast<char>(v >> 16);
    out += static_cast<char>(v >> 8);
    out += static_cast<char>(v);
}

// A PNG chunk: length, type, data, CRC-32 over type and data.
void put_chunk(std::string& out, std::string_view type, std::string_view data) {
    put_u32(out, static_cast<std::uint32_t>(data.size()));
    const auto start = out.size();
    out.append(type);
    out.append(data);
    const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data() + start),
                           static_cast<uInt>(out.size() - start));
    put_u32(out, static_cast<std::uint32_t>(crc));
}

}  // namespace

std::string make_png(std::uint64_t seed, int width, int height) {
    if (width <= 0 || height <= 0 || width > 4096 || height > 4096) throw std::invalid_argument("bad image size");
    Rng rng(seed);
    // A diagonal two-colour gradient with a little noise: looks like an
    // image, and the noise makes compressed sizes differ from file to file.
    const int r0 = static_cast<int>(rng.between(0, 255)), g0 = static_cast<int>(rng.between(0, 255)),
              b0 = static_cast<int>(rng.between(0, 255));
    const int r1 = static_cast<int>(rng.between(0, 255)), g1 = static_cast<int>(rng.between(0, 255)),
              b1 = static_cast<int>(rng.between(0, 255));
    const unsigned noise = static_cast<unsigned>(rng.between(1, 24));
    std::string raw;
    raw.reserve(static_cast<std::size_t>(height) * (1 + 3 * static_cast<std::size_t>(width)));
    const int span = width + height;
    for (int y = 0; y < height; ++y) {
        raw += '\0';  // filter type "None" for every scanline
        for (int x = 0; x < width; ++x) {
            const int t = x + y;
            const auto jitter = static_cast<int>(rng.next() % noise);
            raw += static_cast<char>((r0 + (r1 - r0) * t / span + jitter) & 0xFF);
            raw += static_cast<char>((g0 + (g1 - g0) * t / span + jitter) & 0xFF);
            raw += static_cast<char>((b0 + (b1 - b0) * t / span + jitter) & 0xFF);
        }
    }
    uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
    std::string packed(packed_size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
                  static_cast<uLong>(raw.size()), 1) != Z_OK)
        throw std::runtime_error("zlib compress failed");
    packed.resize(packed_size);

    std::string png("\x89PNG\r\n\x1a\n", 8);
    std::string header;
    put_u32(header, static_cast<std::uint32_t>(width));
    put_u32(header, static_cast<std::uint32_t>(height));
    header += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit depth, RGB, deflate, adaptive filter, no interlace
    put_chunk(png, "IHDR", header);
    put_chunk(png, "IDAT", packed);
    put_chunk(png, "IEND", {});
    return png;
}

std::string make_mp4(std::uint64_t seed, int width, int height, double duration_seconds) {
    Rng rng(seed);
    std::string out;
    // ftyp box: size, "ftyp", major brand, minor version, compatible brands.
    put_u32(out, 24);
    out += "ftypisom";
    put_u32(out, 0x200);
    out += "isommp41";
    // Roughly 1 KB per 100x100 pixels per second, capped to keep tests fast.
    const auto target = std::min<std::size_t>(
        static_cast<std::size_t>(static_cast<double>(width) * height / 10.0 * duration_seconds / 8.0) + 4096,
        std::size_t{2} << 20);
    const auto payload = target - out.size() - 8;
    put_u32(out, static_cast<std::uint32_t>(payload + 8));
    out += "mdat";
    while (out.size() < target) {
        const auto word = rng.next();
        for (int i = 0; i < 8 && out.size() < target; ++i) out += static_cast<char>(word >> (8 * i));
    }
    return out;
}

}  // namespace igsim
