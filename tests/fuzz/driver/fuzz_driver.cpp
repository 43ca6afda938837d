// The corpus-replay and seeded-mutation driver (see fuzz_driver.hpp).
#include "fuzz_driver.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace gramkit::fuzz {
namespace {

bool read_file(const std::filesystem::path& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

int usage(const DriverConfig& config) {
    std::fprintf(stderr,
                 "usage: %s [--runs N] [--seed S] [--max-len L] CORPUS_DIR_OR_FILE...\n"
                 "Replays every corpus file, then runs N seeded mutations of them (default 0).\n",
                 config.name);
    return 2;
}

}  // namespace

std::string mutate(const std::vector<std::string>& corpus, Rng& rng, std::size_t max_len, const DriverConfig& config) {
    std::string s = corpus[rng.below(corpus.size())];
    const std::size_t steps = 1 + rng.below(4);
    const std::size_t kinds = config.extra_mutation ? 11 : 9;
    for (std::size_t i = 0; i < steps; ++i) {
        const std::size_t pos = rng.below(s.size() + 1);
        switch (rng.below(kinds)) {
            case 0:  // flip a bit
                if (!s.empty()) s[rng.below(s.size())] ^= static_cast<char>(1u << rng.below(8));
                break;
            case 1:  // replace a byte
                if (!s.empty()) s[rng.below(s.size())] = static_cast<char>(rng.below(256));
                break;
            case 2:  // insert a byte
                s.insert(pos, 1, static_cast<char>(rng.below(256)));
                break;
            case 3:  // erase a range
                if (!s.empty()) s.erase(rng.below(s.size()), 1 + rng.below(16));
                break;
            case 4:  // duplicate a range
                if (!s.empty()) {
                    const std::size_t from = rng.below(s.size());
                    const std::string piece = s.substr(from, 1 + rng.below(64));
                    s.insert(pos, piece);
                }
                break;
            case 5:
            case 6:  // insert a dictionary token
                if (!config.dictionary.empty()) s.insert(pos, config.dictionary[rng.below(config.dictionary.size())]);
                break;
            case 7: {  // splice with another entry
                const std::string& other = corpus[rng.below(corpus.size())];
                s = s.substr(0, pos) + other.substr(std::min(other.size(), rng.below(other.size() + 1)));
                break;
            }
            case 8:  // deep nesting
                s.insert(pos, std::string(1 + rng.below(config.max_nesting), rng.below(2) ? '[' : '{'));
                break;
            default:
                config.extra_mutation(s, rng);
                break;
        }
        if (s.size() > max_len) s.resize(max_len);
    }
    return s;
}

int run_driver(int argc, char** argv, Target target, const DriverConfig& config) {
    std::size_t runs = 0;
    std::uint64_t seed = 1;
    std::size_t max_len = config.default_max_len;
    std::vector<std::filesystem::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if ((arg == "--runs" || arg == "--seed" || arg == "--max-len") && i + 1 < argc) {
            char* end = nullptr;
            const unsigned long long v = std::strtoull(argv[++i], &end, 10);
            if (end == nullptr || *end != '\0') return usage(config);
            if (arg == "--runs") runs = static_cast<std::size_t>(v);
            else if (arg == "--seed") seed = v;
            else max_len = std::max<std::size_t>(1, static_cast<std::size_t>(v));
        } else if (!arg.empty() && arg[0] == '-') {
            if (!config.extra_flag || !config.extra_flag(arg)) return usage(config);
        } else {
            inputs.emplace_back(arg);
        }
    }
    if (inputs.empty()) return usage(config);

    std::vector<std::filesystem::path> files;
    for (const auto& in : inputs) {
        std::error_code ec;
        if (std::filesystem::is_directory(in, ec)) {
            for (const auto& entry : std::filesystem::directory_iterator(in))
                if (entry.is_regular_file()) files.push_back(entry.path());
        } else {
            files.push_back(in);
        }
    }
    std::sort(files.begin(), files.end());  // deterministic order
    std::vector<std::string> corpus;
    for (const auto& f : files) {
        std::string data;
        if (!read_file(f, data)) {
            std::fprintf(stderr, "%s: cannot read %s\n", config.name, f.c_str());
            return 2;
        }
        target(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
        corpus.push_back(std::move(data));
    }
    if (corpus.empty()) {
        std::fprintf(stderr, "%s: the corpus is empty\n", config.name);
        return 2;
    }
    if (config.after_replay) config.after_replay(corpus.size());

    Rng rng{seed};
    for (std::size_t run = 0; run < runs; ++run) {
        const std::string input = mutate(corpus, rng, max_len, config);
        target(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    }
    if (runs > 0) std::printf("ran %zu mutations with seed %llu\n", runs, static_cast<unsigned long long>(seed));
    if (config.at_end) config.at_end();
    return 0;
}

}  // namespace gramkit::fuzz
