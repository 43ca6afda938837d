// Fuzz target for the C ABI: arbitrary bytes as gk_call params.
//
// Input format: the first byte picks the operation ('A' = accounts.create,
// 'B' = accounts.get, ... see kOps; any byte works, modulo the table), the
// rest is the params text (up to the first NUL, as a C host would pass it).
// Two special entries take the operation name from the input itself (up to
// the first '\n') and poll the event queue.
//
// Params may name the objects the harness creates at start-up: "$a1",
// "$a2", "$a3" expand to the ids of three accounts and "$p1" to a proxy's,
// so seeds reach past "not found" (ids are large and not predictable).
//
// Every call must return a known code; on success the result must be one
// valid JSON document in valid UTF-8, on failure the out-parameter must be
// NULL and gk_last_error() a non-empty UTF-8 message matching the code.
// Anything else aborts (a crash for libFuzzer, a failure for the driver).
//
// Builds two ways:
//  - with clang -fsanitize=fuzzer and -DGRAMKIT_LIBFUZZER: libFuzzer's main
//    drives LLVMFuzzerTestOneInput (see docs/c-api.md);
//  - otherwise (g++, CI): the shared driver (tests/fuzz/driver) replays
//    corpus files and runs a bounded number of deterministic, seeded
//    mutations.
// The harness is a pure C ABI host: it includes only gramkit.h, the C JSON
// scanner of the C tests and the UTF-8 validator, and uses C++17 so that
// clang 14 can build it against a library compiled by g++.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/gramkit.h"
#include "utf8.hpp"

extern "C" {
#include "json_scan.h"
}

namespace {

enum class Special { none, op_from_input, next_event };

struct OpEntry {
    const char* name;
    Special special;
};

constexpr OpEntry kOps[] = {
    {"accounts.create", Special::none},        // A
    {"accounts.get", Special::none},           // B
    {"accounts.list", Special::none},          // C
    {"accounts.update", Special::none},        // D
    {"accounts.delete", Special::none},        // E
    {"accounts.set_status", Special::none},    // F
    {"accounts.history", Special::none},       // G
    {"proxies.create", Special::none},         // H
    {"proxies.assign", Special::none},         // I
    {"proxies.delete", Special::none},         // J
    {"sessions.save_cookies", Special::none},  // K
    {"meta.version", Special::none},           // L
    {"meta.operations", Special::none},        // M
    {nullptr, Special::op_from_input},         // N: "<op>\n<params>"
    {nullptr, Special::next_event},            // O
};
constexpr unsigned kOpCount = sizeof kOps / sizeof kOps[0];
static_assert(kOpCount * 16 >= 'A', "the selector arithmetic below needs this");

bool g_verbose = false;  // driver --verbose: print each call's outcome
std::size_t g_calls = 0;
std::size_t g_ok = 0;
// Calls per return code, indexed by -code (GK_ENOMEM counted at 14).
std::size_t g_by_code[15] = {};

std::string printable(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out.push_back(static_cast<char>(c));
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

[[noreturn]] void violation(const char* what, std::string_view op, std::string_view params, const char* detail) {
    std::fprintf(stderr, "params_fuzz: %s\n  op: %s\n  params: %s\n  detail: %s\n", what,
                 printable(op).c_str(), printable(params).c_str(), detail ? detail : "");
    std::abort();
}

bool known_code(int rc) { return rc == GK_OK || (rc <= GK_EINVALID_ARGUMENT && rc >= GK_EDATA_LOSS) || rc == GK_ENOMEM; }

// Ids of the start-up objects, as decimal text: $a1 $a2 $a3 $p1.
std::string g_placeholders[4];
constexpr const char* kPlaceholderNames[4] = {"$a1", "$a2", "$a3", "$p1"};

std::string expand_placeholders(std::string text) {
    for (int i = 0; i < 4; ++i) {
        const std::string_view name = kPlaceholderNames[i];
        for (std::size_t pos = text.find(name); pos != std::string::npos;
             pos = text.find(name, pos + g_placeholders[i].size())) {
            text.replace(pos, name.size(), g_placeholders[i]);
        }
    }
    return text;
}

gk_engine* engine() {
    static gk_engine* e = [] {
        // Keys from the environment: nothing is written to disk.
        setenv("GK_FUZZ_KEYS", "k1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1);
        gk_engine* h = nullptr;
        int rc = gk_engine_open(&h,
                                "{\"storage_url\":\"sqlite::memory:\",\"key_env\":\"GK_FUZZ_KEYS\","
                                "\"log_level\":\"off\",\"max_params_bytes\":65536,\"event_queue_capacity\":64}");
        if (rc != GK_OK) {
            std::fprintf(stderr, "params_fuzz: gk_engine_open failed: %d %s\n", rc, gk_last_error());
            std::abort();
        }
        // A few objects for get/update/assign to find.
        const char* setup[][2] = {
            {"accounts.create", "{\"username\":\"fuzz.one\",\"password\":\"pw1\",\"labels\":[\"x\"]}"},
            {"accounts.create", "{\"username\":\"fuzz.two\",\"password\":\"pw2\"}"},
            {"accounts.create", "{\"username\":\"fuzz.three\",\"password\":\"pw3\",\"email\":\"f@example.com\"}"},
            {"proxies.create", "{\"url\":\"http://10.0.0.1:8080\",\"max_accounts\":2}"},
        };
        int i = 0;
        for (auto& s : setup) {
            char* out = nullptr;
            long long id = 0;
            if (gk_call(h, s[0], s[1], &out) != GK_OK || !json_int(out, "id", &id)) {
                std::fprintf(stderr, "params_fuzz: setup %s failed: %s\n", s[0], gk_last_error());
                std::abort();
            }
            g_placeholders[i++] = std::to_string(id);
            gk_free(out);
        }
        return h;
    }();
    return e;
}

void check_result(int rc, char* out, std::string_view op, std::string_view params) {
    ++g_calls;
    if (!known_code(rc)) {
        char detail[64];
        std::snprintf(detail, sizeof detail, "code %d", rc);
        violation("unknown return code", op, params, detail);
    }
    ++g_by_code[rc == GK_ENOMEM ? 14 : -rc];
    if (g_verbose) {
        std::printf("  %s %.60s -> %s%s%.120s\n", printable(op).c_str(), printable(params).c_str(), gk_error_name(rc),
                    rc == GK_OK ? "" : ": ", rc == GK_OK ? "" : gk_last_error());
    }
    if (rc == GK_OK) {
        ++g_ok;
        if (out == nullptr) violation("success without a result", op, params, nullptr);
        if (!json_valid(out)) violation("result is not valid JSON", op, params, out);
        if (gramkit::capi::find_invalid_utf8(out)) violation("result is not valid UTF-8", op, params, nullptr);
        if (gk_last_error_code() != GK_OK || gk_last_error()[0] != '\0')
            violation("success left an error behind", op, params, gk_last_error());
        gk_free(out);
        return;
    }
    if (out != nullptr) violation("failure did not set the out-parameter to NULL", op, params, out);
    if (gk_last_error_code() != rc) violation("gk_last_error_code() differs from the return", op, params, nullptr);
    const char* msg = gk_last_error();
    if (msg == nullptr || msg[0] == '\0') violation("failure without a message", op, params, nullptr);
    if (gramkit::capi::find_invalid_utf8(msg)) violation("error message is not valid UTF-8", op, params, nullptr);
    if (rc == GK_EINTERNAL || rc == GK_ENOMEM) violation("internal error on bad input", op, params, msg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    gk_engine* const e = engine();  // first: creates the placeholder objects
    const OpEntry& entry = kOps[static_cast<unsigned>(data[0] + kOpCount * 16 - 'A') % kOpCount];
    // A C host cannot pass bytes after a NUL; copying through c_str() makes
    // that explicit.
    std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    rest = std::string(rest.c_str());

    char* out = nullptr;
    if (entry.special == Special::next_event) {
        const int rc = gk_next_event(e, 0, &out);
        if (rc == GK_ETIMEOUT) {
            ++g_calls;
            ++g_by_code[-GK_ETIMEOUT];
            if (out != nullptr) violation("timeout with an event", "(next_event)", rest, out);
            return 0;
        }
        check_result(rc, out, "(next_event)", rest);
        return 0;
    }
    std::string op;
    std::string params;
    if (entry.special == Special::op_from_input) {
        const auto nl = rest.find('\n');
        op = rest.substr(0, nl);
        params = nl == std::string::npos ? std::string() : rest.substr(nl + 1);
    } else {
        op = entry.name;
        params = std::move(rest);
    }
    params = expand_placeholders(std::move(params));
    // NULL params is legal ("{}"): use it for empty input.
    const char* params_arg = params.empty() ? nullptr : params.c_str();
    const int rc = gk_call(e, op.c_str(), params_arg, &out);
    check_result(rc, out, op, params);
    return 0;
}

#ifndef GRAMKIT_LIBFUZZER
// ---- the driver for builds without libFuzzer (tests/fuzz/driver) ----------

#include "driver/fuzz_driver.hpp"

namespace {

// Tokens that tend to reach interesting paths in a JSON params parser.
const char* const kDictionary[] = {
    "{", "}", "[", "]", "\"", ":", ",", "\\", "null", "true", "false", "0", "-1", "1.5", "1e999", "-0",
    "9223372036854775807", "9223372036854775808", "-9223372036854775809", "\"id\":", "\"username\":",
    "\"password\":", "\"labels\":", "\"status\":", "\"limit\":", "\"after\":", "\"url\":", "\"cookies\":",
    "\"account_id\":", "\"until\":", "\"reason\":", "\"email\":", "\"totp_seed\":", "\"max_accounts\":",
    "\"active\"", "\"paused\"", "\"cooldown\"", "\"disabled\"", "\"2099-01-01T00:00:00Z\"", "\"\\u0000\"",
    "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\u00e9\"", "\xc3\xa9", "\xed\xa0\x80", "\xf0\x9f\x98\x80", "\xff",
    "\x80", "\xc0\xaf", "\x01", "\t", "\n", "http://", "socks5://", "@", "%00", "accounts.", "meta.", "$a1", "$a2",
    "$p1",
};

// Whole values for the value-replacing mutation.
const char* const kValues[] = {
    "null", "true", "false", "0", "1", "2", "3", "-1", "1.5", "1e999", "9223372036854775807",
    "-9223372036854775808", "18446744073709551616", "\"\"", "\"x\"", "\"active\"", "\"paused\"",
    "\"cooldown\"", "\"challenge_required\"", "\"login_failed\"", "\"disabled\"", "\"healthy\"",
    "\"2099-01-01T00:00:00Z\"", "\"2000-01-01T00:00:00Z\"", "\"2099-13-45T99:00:00Z\"", "\"\\u0000\"",
    "\"\\ud800\"", "\"a.b_c\"", "\"http://10.0.0.9:80\"", "\"socks5://u:p@h:1080\"", "[]", "{}",
    "[\"x\"]", "[1,2]", "[{}]", "{\"a\":1}", "$a1", "$a2", "$a3", "$p1",
};

// Params-specific mutations: change the operation (the first byte selects
// it), or replace one member's value, which keeps the document well-formed
// more often than byte edits do.
void mutate_params(std::string& s, gramkit::fuzz::Rng& rng) {
    if (rng.below(3) == 0) {
        if (!s.empty()) s[0] = static_cast<char>('A' + rng.below(kOpCount));
        return;
    }
    std::vector<std::size_t> colons;
    for (std::size_t k = 0; k < s.size(); ++k)
        if (s[k] == ':') colons.push_back(k);
    if (colons.empty()) return;
    const std::size_t start = colons[rng.below(colons.size())] + 1;
    std::size_t end = start;
    int depth = 0;
    bool in_string = false;
    for (; end < s.size(); ++end) {
        const char c = s[end];
        if (in_string) {
            if (c == '\\') ++end;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (depth-- == 0) break;
        } else if (c == ',' && depth == 0) {
            break;
        }
    }
    s.replace(start, std::min(end, s.size()) - start, kValues[rng.below(sizeof kValues / sizeof kValues[0])]);
}

}  // namespace

int main(int argc, char** argv) {
    gramkit::fuzz::DriverConfig config;
    config.name = "params_fuzz";
    config.default_max_len = 4096;
    config.dictionary = kDictionary;
    config.max_nesting = 200;
    config.extra_mutation = mutate_params;
    config.extra_flag = [](std::string_view flag) {
        if (flag != "--verbose") return false;
        g_verbose = true;
        return true;
    };
    config.after_replay = [](std::size_t files) { std::printf("replayed %zu corpus files (%zu succeeded)\n", files, g_ok); };
    config.at_end = [] {
        std::printf("%zu calls, %zu succeeded, no violation\n", g_calls, g_ok);
        for (int i = 0; i < 15; ++i) {
            const int code = i == 14 ? GK_ENOMEM : -i;
            if (g_by_code[i] != 0) std::printf("  %-20s %zu\n", gk_error_name(code), g_by_code[i]);
        }
        gk_engine_close(engine());
    };
    return gramkit::fuzz::run_driver(argc, argv, LLVMFuzzerTestOneInput, config);
}
#endif  // GRAMKIT_LIBFUZZER
