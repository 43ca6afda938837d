#include "instagram/json_walk.hpp"

#include <charconv>
#include <cstring>
#include <limits>
#include <new>

namespace gramkit::instagram::walk {
namespace {

std::string_view type_name(od::json_type type) {
    switch (type) {
        case od::json_type::array: return "array";
        case od::json_type::object: return "object";
        case od::json_type::number: return "number";
        case od::json_type::string: return "string";
        case od::json_type::boolean: return "boolean";
        case od::json_type::null: return "null";
    }
    return "unknown";
}

// The largest taken_at we accept: year 9999. Anything beyond would overflow
// a microsecond Timestamp sooner or later and is no real post date anyway.
constexpr std::int64_t kMaxEpochSeconds = 253'402'300'799;
constexpr int kMaxDimension = 100'000;

// Each thread keeps one parser (its buffers grow to the largest body seen and
// are reused) and one padded copy of the body: on-demand reads up to
// SIMDJSON_PADDING bytes past the end, which a caller's string_view does not
// promise.
struct ThreadState {
    od::parser parser;
    std::string padded;
    od::document doc;
};
ThreadState& thread_state() {
    thread_local ThreadState state;
    return state;
}

}  // namespace

void JsonPath::append_to(std::string& out) const {
    if (parent_ == nullptr) return;  // the root contributes nothing
    parent_->append_to(out);
    if (is_element_) {
        out += '[';
        out += std::to_string(index_);
        out += ']';
    } else {
        if (!out.empty()) out += '.';
        out += key_;
    }
}

std::string JsonPath::render() const {
    std::string out;
    append_to(out);
    return out.empty() ? std::string("$") : out;
}

std::unexpected<Error> expected_at(const JsonPath& at, std::string_view what, simdjson::error_code ec,
                                   std::optional<od::json_type> got) {
    const std::string path = at.render();
    std::string message = "expected ";
    message += what;
    message += " at '";
    message += path;
    message += '\'';
    if (got) {
        message += " (got ";
        message += type_name(*got);
        message += ')';
    }
    if (ec != simdjson::SUCCESS) {
        message += ": ";
        message += simdjson::error_message(ec);
    }
    return fail(ErrorCode::upstream_error, std::move(message), path);
}

namespace {

// The scalar readers try the expected type first (one step on the happy
// path) and look at the actual type only when that fails: null means
// absent, anything else is an error naming what was found.
// Returns SUCCESS when `value` is null, else the error to report.
Status absent_or_mismatch(od::value& value, const JsonPath& at, std::string_view what, simdjson::error_code ec) {
    od::json_type type{};
    if (ec == simdjson::INCORRECT_TYPE && value.type().get(type) == simdjson::SUCCESS) {
        if (type == od::json_type::null) return {};
        return expected_at(at, what, simdjson::SUCCESS, type);
    }
    return expected_at(at, what, ec);
}

}  // namespace

Status read_string_view(od::value& value, const JsonPath& at, std::string_view& out) {
    std::string_view text;
    if (auto ec = value.get_string().get(text)) return absent_or_mismatch(value, at, "a string", ec);
    out = text;
    return {};
}

Status read_string(od::value& value, const JsonPath& at, std::string& out) {
    std::string_view text;
    if (auto ec = value.get_string().get(text)) return absent_or_mismatch(value, at, "a string", ec);
    out.assign(text);
    return {};
}

Status read_optional_string(od::value& value, const JsonPath& at, std::optional<std::string>& out) {
    std::string_view text;
    if (auto ec = value.get_string().get(text)) return absent_or_mismatch(value, at, "a string", ec);
    if (text.empty()) out.reset();
    else out.emplace(text);
    return {};
}

Status read_count(od::value& value, const JsonPath& at, std::int64_t& out) {
    std::int64_t n = 0;
    if (auto ec = value.get_int64().get(n)) {
        od::json_type type{};
        // A number get_int64 refuses is a float or beyond int64.
        if (ec == simdjson::INCORRECT_TYPE && value.type().get(type) == simdjson::SUCCESS && type != od::json_type::number)
            return absent_or_mismatch(value, at, "an integer", ec);
        return expected_at(at, "an integer in int64 range");
    }
    if (n < 0) return expected_at(at, "a non-negative integer");
    out = n;
    return {};
}

Status read_dimension(od::value& value, const JsonPath& at, int& out) {
    std::int64_t n = -1;
    GK_TRY(read_count(value, at, n));
    if (n == -1) return {};  // null
    if (n > kMaxDimension) return expected_at(at, "a pixel size of at most 100000");
    out = static_cast<int>(n);
    return {};
}

Status read_flag(od::value& value, const JsonPath& at, bool& out) {
    bool flag = false;
    const auto ec = value.get_bool().get(flag);
    if (!ec) {
        out = flag;
        return {};
    }
    od::json_type type{};
    if (ec == simdjson::INCORRECT_TYPE && value.type().get(type) == simdjson::SUCCESS &&
        type == od::json_type::number) {
        // The private API sends some flags as 0/1.
        std::int64_t n = 0;
        if (auto nec = value.get_int64().get(n); nec || (n != 0 && n != 1))
            return expected_at(at, "a boolean (or 0/1)", nec);
        out = n == 1;
        return {};
    }
    return absent_or_mismatch(value, at, "a boolean", ec);
}

Status read_id(od::value& value, const JsonPath& at, std::string& out) {
    std::string_view text;
    const auto ec = value.get_string().get(text);
    if (!ec) {
        out.assign(text);
        return {};
    }
    od::json_type type{};
    if (ec != simdjson::INCORRECT_TYPE || value.type().get(type) != simdjson::SUCCESS)
        return expected_at(at, "an id", ec);
    if (type == od::json_type::null) return {};
    if (type != od::json_type::number) return expected_at(at, "an id (string or unsigned integer)", simdjson::SUCCESS, type);
    std::uint64_t n = 0;
    if (auto nec = value.get_uint64().get(n)) return expected_at(at, "an id (unsigned integer in uint64 range)", nec);
    char buffer[24];
    const auto [end, to_chars_ec] = std::to_chars(buffer, buffer + sizeof buffer, n);
    (void)to_chars_ec;  // 20 digits always fit
    out.assign(buffer, end);
    return {};
}

Status read_epoch_seconds(od::value& value, const JsonPath& at, Timestamp& out) {
    std::int64_t seconds = -1;
    GK_TRY(read_count(value, at, seconds));
    if (seconds == -1) return {};  // null
    if (seconds > kMaxEpochSeconds) return expected_at(at, "seconds since 1970 before the year 10000");
    out = Timestamp{std::chrono::seconds(seconds)};
    return {};
}

Status read_edge_count(od::value& value, const JsonPath& at, std::int64_t& out) {
    return for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "count") return read_count(v, p, out);
        return {};
    });
}

Result<od::document*> open_document(std::string_view body, std::string_view what) {
    ThreadState& state = thread_state();
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return fail(ErrorCode::upstream_error, "expected " + std::string(what) + " at '$': the body is empty", "$");
    }
    // Zeroed padding: simdjson may read it, and defined bytes keep memory
    // checkers quiet.
    state.padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(state.padded.data(), body.data(), body.size());
    std::memset(state.padded.data() + body.size(), 0, simdjson::SIMDJSON_PADDING);
    if (auto ec = state.parser.iterate(state.padded.data(), body.size(), state.padded.size()).get(state.doc)) {
        return expected_at(JsonPath{}, what, ec);
    }
    return &state.doc;
}

Status check_document_end(od::document& doc, std::string_view what) {
    // current_location() reports OUT_OF_BOUNDS once every token was consumed.
    const char* location = nullptr;
    if (doc.current_location().get(location) == simdjson::SUCCESS) {
        return expected_at(JsonPath{}, std::string(what) + " and nothing after it", simdjson::TRAILING_CONTENT);
    }
    return {};
}

std::unexpected<Error> exception_error(std::string_view what) {
    try {
        throw;
    } catch (const std::bad_alloc&) {
        return fail(ErrorCode::internal, "out of memory while parsing " + std::string(what));
    } catch (const std::exception& e) {
        return fail(ErrorCode::internal, "unexpected failure while parsing " + std::string(what) + ": " + e.what());
    } catch (...) {
        return fail(ErrorCode::internal, "unexpected failure while parsing " + std::string(what));
    }
}

}  // namespace gramkit::instagram::walk
