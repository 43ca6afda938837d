// gramkit — the small toolkit the Instagram parsers share for walking a
// body with simdjson on-demand (private to src/instagram).
//
// Why a walker: on-demand reads a document strictly forward, so every
// object is visited once, field by field in document order, and the parser
// picks the keys it knows. That works whatever order Instagram emits keys
// in, never revisits a field (which on-demand forbids), and skips unknown
// subtrees without materialising them.
//
// Errors name the JSON path. The path is a chain of stack frames rendered
// only when an error is reported, so the happy path pays nothing for it.
//
// Thread-safety: walk_document uses a per-thread parser; callbacks must not
// start another walk_document on the same thread.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/instagram_models.hpp"

namespace gramkit::instagram::walk {

namespace od = simdjson::ondemand;

/// Where a value sits in the document: "data.user.edges[3].node". Frames
/// live on the stack of the functions walking the document; a child keeps
/// a pointer to its parent, so a child must not outlive it.
class JsonPath {
public:
    JsonPath() = default;  // the document root

    JsonPath member(std::string_view key) const { return JsonPath(this, key, 0, false); }
    JsonPath element(std::size_t index) const { return JsonPath(this, {}, index, true); }

    /// "data.user.id", "items[0].pk"; the root is "$".
    std::string render() const;

private:
    JsonPath(const JsonPath* parent, std::string_view key, std::size_t index, bool is_element)
        : parent_(parent), key_(key), index_(index), is_element_(is_element) {}
    void append_to(std::string& out) const;

    const JsonPath* parent_ = nullptr;
    std::string_view key_;
    std::size_t index_ = 0;
    bool is_element_ = false;
};

/// upstream_error "expected <what> at '<path>'[ (got <type>)][: <simdjson reason>]",
/// details = the path.
std::unexpected<Error> expected_at(const JsonPath& at, std::string_view what,
                                   simdjson::error_code ec = simdjson::SUCCESS,
                                   std::optional<od::json_type> got = std::nullopt);

/// The key of a field as written in the document, without unescaping
/// (Instagram never escapes key names, so literal comparison is exact).
inline std::string_view raw_key(const od::field& field) noexcept {
    const char* const start = field.key().raw();
    const char* end = start;
    // stage 1 validated the document, so the closing quote exists.
    while (*end != '"') end += (*end == '\\') ? 2 : 1;
    return {start, static_cast<std::size_t>(end - start)};
}

/// The type of `value` without consuming it.
inline Result<od::json_type> type_of(od::value& value, const JsonPath& at, std::string_view what) {
    od::json_type type{};
    if (auto ec = value.type().get(type)) return expected_at(at, what, ec);
    return type;
}

/// Calls `on_field(key, value, path_of_value)` -> Status for every member of
/// the object `value`, in document order. null counts as an absent object
/// (no call); any other non-object is an error naming `at`.
template <class OnField>
Status for_each_field(od::value& value, const JsonPath& at, OnField&& on_field) {
    od::object object;
    // Try the object first (one step on the happy path); only a mismatch
    // looks at the actual type: null is an absent object.
    if (auto ec = value.get_object().get(object)) {
        od::json_type type{};
        if (ec == simdjson::INCORRECT_TYPE && value.type().get(type) == simdjson::SUCCESS) {
            if (type == od::json_type::null) return {};
            return expected_at(at, "an object", simdjson::SUCCESS, type);
        }
        return expected_at(at, "an object", ec);
    }
    for (auto member : object) {
        od::field field;
        if (auto ec = std::move(member).get(field)) return expected_at(at, "a well-formed object", ec);
        const std::string_view key = raw_key(field);
        const JsonPath child = at.member(key);
        GK_TRY(on_field(key, field.value(), child));
    }
    return {};
}

/// Calls `on_element(index, value, path_of_value)` -> Status for every element
/// of the array `value`. null counts as an empty array.
template <class OnElement>
Status for_each_element(od::value& value, const JsonPath& at, OnElement&& on_element) {
    od::array array;
    if (auto ec = value.get_array().get(array)) {
        od::json_type type{};
        if (ec == simdjson::INCORRECT_TYPE && value.type().get(type) == simdjson::SUCCESS) {
            if (type == od::json_type::null) return {};
            return expected_at(at, "an array", simdjson::SUCCESS, type);
        }
        return expected_at(at, "an array", ec);
    }
    std::size_t index = 0;
    for (auto item : array) {
        od::value element;
        const JsonPath child = at.element(index);
        if (auto ec = std::move(item).get(element)) return expected_at(child, "a well-formed value", ec);
        GK_TRY(on_element(index, element, child));
        ++index;
    }
    return {};
}

// ---- scalars. null leaves the target unchanged (absent); a value of another
// type is an error naming the path.

/// A string (copied).
Status read_string(od::value& value, const JsonPath& at, std::string& out);
/// A string as a view into the parser's buffer: valid until the next
/// walk_document on this thread (for values copied only if they win).
Status read_string_view(od::value& value, const JsonPath& at, std::string_view& out);
/// A string; null and "" leave `out` empty.
Status read_optional_string(od::value& value, const JsonPath& at, std::optional<std::string>& out);
/// An integer in int64 range (counts, media_type codes). Negative counts are
/// an error: Instagram never sends them, so one means a misread document.
Status read_count(od::value& value, const JsonPath& at, std::int64_t& out);
/// A pixel dimension: an integer in [0, 100000].
Status read_dimension(od::value& value, const JsonPath& at, int& out);
/// true/false; 0/1 too (the private API sends flags as integers).
Status read_flag(od::value& value, const JsonPath& at, bool& out);
/// An id: a string, or an unsigned integer kept as its decimal text.
Status read_id(od::value& value, const JsonPath& at, std::string& out);
/// Seconds since the epoch (taken_at), checked to fit a Timestamp.
Status read_epoch_seconds(od::value& value, const JsonPath& at, Timestamp& out);

/// The `count` member of an edge object ({"count": 12, ...}).
Status read_edge_count(od::value& value, const JsonPath& at, std::int64_t& out);

/// Parses `body` and calls `on_root_field(key, value, path)` for each member
/// of the root object. Handles padding, the per-thread parser, a non-object
/// root, trailing content and exceptions (converted to errors). `what` names
/// the document in messages ("a web profile info document").
template <class OnField>
Status walk_document(std::string_view body, std::string_view what, OnField&& on_root_field);

// The non-template parts of walk_document.
/// Prepares the per-thread parser on a padded copy of `body`.
Result<od::document*> open_document(std::string_view body, std::string_view what);
/// After the root object was walked: anything but whitespace left is an error.
Status check_document_end(od::document& doc, std::string_view what);
/// Converts an exception escaping a walk into an error (bad_alloc and the like).
std::unexpected<Error> exception_error(std::string_view what);

template <class OnField>
Status walk_document(std::string_view body, std::string_view what, OnField&& on_root_field) {
    try {
        GK_ASSIGN_OR_RETURN(od::document* doc, open_document(body, what));
        const JsonPath root;
        od::json_type type{};
        if (auto ec = doc->type().get(type)) return expected_at(root, what, ec);
        if (type != od::json_type::object) return expected_at(root, what, simdjson::SUCCESS, type);
        od::object object;
        if (auto ec = doc->get_object().get(object)) return expected_at(root, what, ec);
        for (auto member : object) {
            od::field field;
            if (auto ec = std::move(member).get(field)) return expected_at(root, what, ec);
            const std::string_view key = raw_key(field);
            const JsonPath child = root.member(key);
            GK_TRY(on_root_field(key, field.value(), child));
        }
        return check_document_end(*doc, what);
    } catch (...) {
        return exception_error(what);
    }
}

}  // namespace gramkit::instagram::walk
