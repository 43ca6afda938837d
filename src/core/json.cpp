// gramkit — internal JSON toolkit: simdjson-backed parsing into an owned
// tree, a writer that always emits valid JSON, and strict object reading.
#include "core/json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace gramkit::json {

// ---------------------------------------------------------------- Value ---

std::string_view type_name(Type type) noexcept {
    switch (type) {
        case Type::null: return "null";
        case Type::boolean: return "boolean";
        case Type::integer:
        case Type::floating: return "number";
        case Type::string: return "string";
        case Type::array: return "array";
        case Type::object: return "object";
    }
    return "unknown";
}

const Value* Value::find(std::string_view key) const noexcept {
    if (!is_object()) return nullptr;
    for (const auto& [name, member] : std::get<Object>(data_)) {
        if (name == key) return &member;
    }
    return nullptr;
}

// ---------------------------------------------------------------- parse ---

namespace {

std::unexpected<Error> too_deep(std::size_t max_depth) {
    return fail(ErrorCode::invalid_argument, "JSON nesting deeper than " + std::to_string(max_depth));
}

std::unexpected<Error> malformed(simdjson::error_code code) {
    return fail(ErrorCode::invalid_argument, std::string("malformed JSON: ") + simdjson::error_message(code));
}

// Converts simdjson's DOM (which lives in the parser) into an owned Value.
// `depth` counts the containers enclosing `element`. The recursion is bounded
// by simdjson's own depth limit, which parse() sets just above max_depth.
Result<Value> convert(simdjson::dom::element element, std::size_t depth, std::size_t max_depth) {
    using simdjson::dom::element_type;
    switch (element.type()) {
        case element_type::NULL_VALUE: return Value(nullptr);
        case element_type::BOOL: return Value(element.get_bool().value_unsafe());
        case element_type::INT64: return Value(element.get_int64().value_unsafe());
        case element_type::UINT64:
            // simdjson only uses UINT64 above INT64_MAX; Value has no uint64.
            return Value(static_cast<double>(element.get_uint64().value_unsafe()));
        case element_type::DOUBLE: return Value(element.get_double().value_unsafe());
        case element_type::STRING: return Value(element.get_string().value_unsafe());
        case element_type::ARRAY: {
            if (depth + 1 > max_depth) return too_deep(max_depth);
            const simdjson::dom::array array = element.get_array().value_unsafe();
            Value::Array items;
            items.reserve(array.size());
            for (simdjson::dom::element item : array) {
                GK_ASSIGN_OR_RETURN(Value converted, convert(item, depth + 1, max_depth));
                items.push_back(std::move(converted));
            }
            return Value(std::move(items));
        }
        case element_type::OBJECT: {
            if (depth + 1 > max_depth) return too_deep(max_depth);
            const simdjson::dom::object object = element.get_object().value_unsafe();
            Value::Object members;
            members.reserve(object.size());
            for (simdjson::dom::key_value_pair member : object) {
                GK_ASSIGN_OR_RETURN(Value converted, convert(member.value, depth + 1, max_depth));
                members.emplace_back(std::string(member.key), std::move(converted));
            }
            return Value(std::move(members));
        }
    }
    return fail(ErrorCode::internal, "unexpected simdjson element type");
}

// Documents up to this size reuse a per-thread parser (saves its
// allocations on the common small-params path); bigger ones get a one-off
// parser so that one large document does not pin its buffers in every thread.
constexpr std::size_t kReusableParserCapacity = 64 * 1024;

}  // namespace

Result<Value> parse(std::string_view text, std::size_t max_depth) {
    max_depth = std::min(max_depth, kMaxParseDepth);
    // simdjson's depth accounting differs from ours by one for empty
    // containers, so give it headroom and enforce the exact limit in
    // convert(); simdjson's limit only keeps pathological input cheap.
    const std::size_t simdjson_depth = max_depth + 2;
    const simdjson::padded_string padded(text);

    thread_local simdjson::dom::parser reusable_parser;
    std::optional<simdjson::dom::parser> one_off_parser;
    const bool reuse = text.size() <= kReusableParserCapacity;
    simdjson::dom::parser& parser = reuse ? reusable_parser : one_off_parser.emplace();

    if (parser.capacity() < text.size() || parser.max_depth() != simdjson_depth) {
        // The reusable parser never shrinks and starts at 4 KiB, so a run of
        // small documents shares one allocation.
        const std::size_t capacity =
            reuse ? std::max({text.size(), parser.capacity(), std::size_t{4096}}) : text.size();
        if (const auto error = parser.allocate(capacity, simdjson_depth); error != simdjson::SUCCESS) {
            if (error == simdjson::MEMALLOC) throw std::bad_alloc();
            return malformed(error);
        }
    }

    simdjson::dom::element root;
    if (const auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
        if (error == simdjson::DEPTH_ERROR) return too_deep(max_depth);
        if (error == simdjson::MEMALLOC) throw std::bad_alloc();
        return malformed(error);
    }
    return convert(root, 0, max_depth);
}

// ----------------------------------------------------------------- UTF-8 ---

Utf8Step next_utf8_sequence(std::string_view text, std::size_t pos) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(pos);
    if (lead < 0x80) return {1, true};

    // Per lead byte: sequence length and the allowed range of the second
    // byte (Unicode Table 3-7). Narrow second-byte ranges exclude overlong
    // forms (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
    std::size_t length;
    unsigned char second_min = 0x80, second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_min = 0xA0;
        if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_min = 0x90;
        if (lead == 0xF4) second_max = 0x8F;
    } else {
        return {1, false};  // continuation byte, C0/C1 or F5..FF
    }

    // Consume bytes while they can still extend a valid sequence; stopping
    // early yields the maximal invalid subpart.
    std::size_t consumed = 1;
    while (consumed < length) {
        const std::size_t i = pos + consumed;
        if (i >= text.size()) return {consumed, false};
        const unsigned char b = byte(i);
        const unsigned char lo = consumed == 1 ? second_min : 0x80;
        const unsigned char hi = consumed == 1 ? second_max : 0xBF;
        if (b < lo || b > hi) return {consumed, false};
        ++consumed;
    }
    return {length, true};
}

// ---------------------------------------------------------------- Writer ---

void append_quoted(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.reserve(out.size() + text.size() + 2);
    out.push_back('"');
    std::size_t pos = 0;
    while (pos < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[pos]);
        if (c >= 0x80) {
            const Utf8Step step = next_utf8_sequence(text, pos);
            if (step.valid) out.append(text.substr(pos, step.length));
            else out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
            pos += step.length;
            continue;
        }
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (c < 0x20) {
                    out.append("\\u00");
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 0xF]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
        ++pos;
    }
    out.push_back('"');
}

void Writer::before_value() {
    if (stack_.empty()) {
        if (wrote_top_level_) throw std::logic_error("json::Writer: more than one top-level value");
        wrote_top_level_ = true;
        return;
    }
    Frame& frame = stack_.back();
    if (frame.is_object) {
        if (!frame.after_key) throw std::logic_error("json::Writer: object member value without key()");
        frame.after_key = false;
        return;  // key() already wrote the comma and colon
    }
    if (frame.has_members) out_->push_back(',');
    frame.has_members = true;
}

Writer& Writer::begin_object() {
    before_value();
    out_->push_back('{');
    stack_.push_back(Frame{.is_object = true});
    return *this;
}

Writer& Writer::end_object() {
    if (stack_.empty() || !stack_.back().is_object || stack_.back().after_key) {
        throw std::logic_error("json::Writer: end_object() without matching begin_object() or after a dangling key");
    }
    stack_.pop_back();
    out_->push_back('}');
    return *this;
}

Writer& Writer::begin_array() {
    before_value();
    out_->push_back('[');
    stack_.push_back(Frame{.is_object = false});
    return *this;
}

Writer& Writer::end_array() {
    if (stack_.empty() || stack_.back().is_object) {
        throw std::logic_error("json::Writer: end_array() without matching begin_array()");
    }
    stack_.pop_back();
    out_->push_back(']');
    return *this;
}

Writer& Writer::key(std::string_view name) {
    if (stack_.empty() || !stack_.back().is_object || stack_.back().after_key) {
        throw std::logic_error("json::Writer: key() outside an object or twice in a row");
    }
    Frame& frame = stack_.back();
    if (frame.has_members) out_->push_back(',');
    frame.has_members = true;
    frame.after_key = true;
    append_quoted(*out_, name);
    out_->push_back(':');
    return *this;
}

Writer& Writer::value(std::string_view text) {
    before_value();
    append_quoted(*out_, text);
    return *this;
}

Writer& Writer::value(bool b) {
    before_value();
    out_->append(b ? "true" : "false");
    return *this;
}

Writer& Writer::value(std::nullptr_t) {
    before_value();
    out_->append("null");
    return *this;
}

Writer& Writer::value(double d) {
    before_value();
    if (!std::isfinite(d)) {
        out_->append("null");  // JSON has no NaN/Infinity
        return *this;
    }
    char buffer[32];  // shortest double text is at most 24 characters
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
    const std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
    out_->append(text);
    // "3" would read back as an integer; keep the value a double.
    if (text.find_first_of(".e") == std::string_view::npos) out_->append(".0");
    return *this;
}

Writer& Writer::value(std::int64_t n) {
    before_value();
    char buffer[24];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, n);
    out_->append(buffer, end);
    return *this;
}

Writer& Writer::value(std::uint64_t n) {
    before_value();
    char buffer[24];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, n);
    out_->append(buffer, end);
    return *this;
}

Writer& Writer::value(const Value& v) {
    switch (v.type()) {
        case Type::null: return value(nullptr);
        case Type::boolean: return value(v.as_bool());
        case Type::integer: return value(v.as_int());
        case Type::floating: return value(v.as_double());
        case Type::string: return value(std::string_view(v.as_string()));
        case Type::array:
            begin_array();
            for (const Value& item : v.as_array()) value(item);
            return end_array();
        case Type::object:
            begin_object();
            for (const auto& [name, member] : v.as_object()) {
                key(name);
                value(member);
            }
            return end_object();
    }
    return *this;
}

Writer& Writer::raw(std::string_view json) {
    before_value();
    out_->append(json);
    return *this;
}

std::string to_string(const Value& value) {
    std::string out;
    Writer(out).value(value);
    return out;
}

// ---------------------------------------------------------- ObjectReader ---

namespace {

// Keys in messages come from client input: keep them short.
std::string shorten_for_message(std::string_view text) {
    constexpr std::size_t kMax = 64;
    if (text.size() <= kMax) return std::string(text);
    std::size_t cut = kMax;
    // Do not split a UTF-8 sequence (continuation bytes are 10xxxxxx).
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return std::string(text.substr(0, cut)) + "...";
}

std::unexpected<Error> field_error(const std::string& path, std::string message) {
    return fail(ErrorCode::invalid_argument, "'" + path + "' " + std::move(message), path);
}

std::unexpected<Error> wrong_type(const std::string& path, std::string_view expected, const Value& got) {
    return field_error(path, "must be " + std::string(expected) + " (got " + std::string(type_name(got.type())) + ")");
}

// Bounds as text: integers in decimal, doubles in shortest round-trip form.
std::string bound_text(std::int64_t n) { return std::to_string(n); }
std::string bound_text(double d) {
    if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
    return std::string(buffer, end);
}

template <class Number>
std::unexpected<Error> out_of_range(const std::string& path, Number min, Number max) {
    return field_error(path, "must be between " + bound_text(min) + " and " + bound_text(max));
}

// Lifts a required-style result into an optional-style one.
template <class T>
Result<std::optional<T>> present(Result<T> result) {
    if (!result) return fail(std::move(result).error());
    return std::optional<T>(std::move(*result));
}

// Type checks shared by the optional_* and required_* lookups.
Result<std::string> string_field(const std::string& path, const Value& v) {
    if (!v.is_string()) return wrong_type(path, "a string", v);
    return v.as_string();
}

Result<std::int64_t> int_field(const std::string& path, const Value& v, std::int64_t min, std::int64_t max) {
    std::int64_t n;
    if (v.is_int()) {
        n = v.as_int();
    } else if (v.is_double()) {
        const double d = v.as_double();
        if (std::trunc(d) != d) return field_error(path, "must be an integer (got a fractional number)");
        // Integral doubles come from "8080.0" or from integers above INT64_MAX.
        // [-2^63, 2^63) is exactly the range that converts without UB.
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return out_of_range(path, min, max);
        n = static_cast<std::int64_t>(d);
    } else {
        return wrong_type(path, "an integer", v);
    }
    if (n < min || n > max) return out_of_range(path, min, max);
    return n;
}

Result<bool> bool_field(const std::string& path, const Value& v) {
    if (!v.is_bool()) return wrong_type(path, "a boolean", v);
    return v.as_bool();
}

Result<double> double_field(const std::string& path, const Value& v, double min, double max) {
    if (!v.is_number()) return wrong_type(path, "a number", v);
    const double d = v.as_double();
    if (!(d >= min && d <= max)) return out_of_range(path, min, max);
    return d;
}

Result<const Value*> container_field(const std::string& path, const Value& v, Type type) {
    if (v.type() != type) return wrong_type(path, type == Type::object ? "an object" : "an array", v);
    return &v;
}

}  // namespace

ObjectReader::ObjectReader(const Value& object, std::string path_prefix)
    : object_(&object), prefix_(std::move(path_prefix)) {}

std::string ObjectReader::path(std::string_view key) const {
    std::string shortened = shorten_for_message(key);
    if (prefix_.empty()) return shortened;
    return prefix_ + "." + shortened;
}

std::unexpected<Error> ObjectReader::not_an_object() const {
    return wrong_type(prefix_.empty() ? std::string("(root)") : prefix_, "an object", *object_);
}

Result<const Value*> ObjectReader::lookup(std::string_view key, bool null_is_absent) {
    if (!object_->is_object()) return not_an_object();
    if (std::find(known_keys_.begin(), known_keys_.end(), key) == known_keys_.end()) {
        known_keys_.emplace_back(key);
    }
    const Value* found = nullptr;
    for (const auto& [name, member] : object_->as_object()) {
        if (name != key) continue;
        if (found != nullptr) return fail(ErrorCode::invalid_argument, "duplicate key '" + path(key) + "'", path(key));
        found = &member;
    }
    if (found != nullptr && null_is_absent && found->is_null()) return nullptr;
    return found;
}

Result<const Value*> ObjectReader::get(std::string_view key) { return lookup(key, false); }

// Optional lookups treat null as absent; required ones report it as the
// wrong type ("must be a string (got null)"), which tells the client more
// than "is required" for a key it did send.
Result<std::optional<std::string>> ObjectReader::optional_string(std::string_view key) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, true));
    if (v == nullptr) return std::nullopt;
    return present(string_field(path(key), *v));
}

Result<std::string> ObjectReader::required_string(std::string_view key) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, false));
    if (v == nullptr) return field_error(path(key), "is required");
    return string_field(path(key), *v);
}

Result<std::optional<std::int64_t>> ObjectReader::optional_int(std::string_view key, std::int64_t min,
                                                               std::int64_t max) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, true));
    if (v == nullptr) return std::nullopt;
    return present(int_field(path(key), *v, min, max));
}

Result<std::int64_t> ObjectReader::required_int(std::string_view key, std::int64_t min, std::int64_t max) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, false));
    if (v == nullptr) return field_error(path(key), "is required");
    return int_field(path(key), *v, min, max);
}

Result<std::optional<bool>> ObjectReader::optional_bool(std::string_view key) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, true));
    if (v == nullptr) return std::nullopt;
    return present(bool_field(path(key), *v));
}

Result<bool> ObjectReader::required_bool(std::string_view key) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, false));
    if (v == nullptr) return field_error(path(key), "is required");
    return bool_field(path(key), *v);
}

Result<std::optional<double>> ObjectReader::optional_double(std::string_view key, double min, double max) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, true));
    if (v == nullptr) return std::nullopt;
    return present(double_field(path(key), *v, min, max));
}

Result<double> ObjectReader::required_double(std::string_view key, double min, double max) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, false));
    if (v == nullptr) return field_error(path(key), "is required");
    return double_field(path(key), *v, min, max);
}

Result<const Value*> ObjectReader::optional_object(std::string_view key) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, true));
    if (v == nullptr) return nullptr;
    return container_field(path(key), *v, Type::object);
}

Result<const Value*> ObjectReader::required_object(std::string_view key) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, false));
    if (v == nullptr) return field_error(path(key), "is required");
    return container_field(path(key), *v, Type::object);
}

Result<const Value*> ObjectReader::optional_array(std::string_view key) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, true));
    if (v == nullptr) return nullptr;
    return container_field(path(key), *v, Type::array);
}

Result<const Value*> ObjectReader::required_array(std::string_view key) {
    GK_ASSIGN_OR_RETURN(const Value* v, lookup(key, false));
    if (v == nullptr) return field_error(path(key), "is required");
    return container_field(path(key), *v, Type::array);
}

Status ObjectReader::reject_unknown_keys() const {
    if (!object_->is_object()) return not_an_object();
    for (const auto& member : object_->as_object()) {
        const std::string& name = member.first;
        if (std::find(known_keys_.begin(), known_keys_.end(), name) == known_keys_.end()) {
            return fail(ErrorCode::invalid_argument, "unknown key '" + path(name) + "'", path(name));
        }
    }
    return {};
}

}  // namespace gramkit::json
