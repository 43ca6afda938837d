// Reading one post node in the GraphQL or the v1 vocabulary (post_node.hpp).
#include "instagram/post_node.hpp"

#include <string_view>

#include "instagram/caption_text.hpp"

namespace gramkit::instagram::detail {
namespace {

using walk::JsonPath;
namespace od = walk::od;

// A rendition seen while walking; the URL points into the parser's buffer
// and is copied only for the winner (a v1 item lists a dozen sizes).
struct Rendition {
    std::string_view url;
    int width = 0;
    int height = 0;
};

void keep_larger(Rendition& best, const Rendition& candidate) {
    if (candidate.url.empty()) return;
    const auto area = [](const Rendition& r) { return static_cast<std::int64_t>(r.width) * r.height; };
    if (best.url.empty() || area(candidate) > area(best)) best = candidate;
}

// What one media item (the post itself or a carousel child) says about its
// files. Keys arrive in any order, so the choice waits for the whole node.
struct ItemFiles {
    std::optional<MediaType> declared_type;  // __typename or media_type
    bool is_video = false;                   // GraphQL is_video
    int width = 0;                           // dimensions / original_width
    int height = 0;
    std::string_view display_url;  // GraphQL full-size image (sized by width/height)
    std::string_view video_url;    // GraphQL video (sized by width/height)
    Rendition best_image;          // largest of display_resources / image_versions2.candidates
    Rendition best_video;          // largest of video_versions
    std::vector<MediaUrl> children;
};

MediaType resolved_type(const ItemFiles& files) {
    if (files.declared_type) return *files.declared_type;
    if (!files.children.empty()) return MediaType::carousel;
    return files.is_video ? MediaType::video : MediaType::image;
}

MediaUrl to_media(const Rendition& r, MediaKind kind, int fallback_width, int fallback_height) {
    MediaUrl media;
    media.url.assign(r.url);
    media.width = r.width != 0 ? r.width : fallback_width;
    media.height = r.height != 0 ? r.height : fallback_height;
    media.kind = kind;
    return media;
}

// The item's one file: its best video when it is a video, else its best
// image. nullopt when the node named no file at all.
std::optional<MediaUrl> best_file(const ItemFiles& files, MediaType type) {
    if (type == MediaType::video || files.is_video) {
        Rendition video = files.best_video;
        keep_larger(video, Rendition{files.video_url, files.width, files.height});
        if (!video.url.empty()) return to_media(video, MediaKind::video, files.width, files.height);
    }
    Rendition image{files.display_url, files.width, files.height};
    keep_larger(image, files.best_image);
    if (!image.url.empty()) return to_media(image, MediaKind::image, files.width, files.height);
    return std::nullopt;
}

std::optional<MediaType> type_from_typename(std::string_view name) {
    // GraphImage, GraphVideo, GraphSidecar and their XDT* successors.
    if (name.ends_with("Sidecar")) return MediaType::carousel;
    if (name.ends_with("Video")) return MediaType::video;
    if (name.ends_with("Image")) return MediaType::image;
    return std::nullopt;
}

std::optional<MediaType> type_from_code(std::int64_t code) {
    switch (code) {
        case 1: return MediaType::image;
        case 2: return MediaType::video;
        case 8: return MediaType::carousel;
        default: return std::nullopt;  // unknown kinds fall back to the other hints
    }
}

// [{url|src, width|config_width, height|config_height}, ...] → the largest.
Status read_renditions(od::value& value, const JsonPath& at, Rendition& best) {
    return walk::for_each_element(value, at, [&](std::size_t, od::value& element, const JsonPath& path) -> Status {
        Rendition candidate;
        GK_TRY(walk::for_each_field(element, path, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
            if (key == "url" || key == "src") return walk::read_string_view(v, p, candidate.url);
            if (key == "width" || key == "config_width") return walk::read_dimension(v, p, candidate.width);
            if (key == "height" || key == "config_height") return walk::read_dimension(v, p, candidate.height);
            return {};
        }));
        keep_larger(best, candidate);
        return {};
    });
}

Status read_dimensions(od::value& value, const JsonPath& at, ItemFiles& files) {
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "width") return walk::read_dimension(v, p, files.width);
        if (key == "height") return walk::read_dimension(v, p, files.height);
        return {};
    });
}

// v1 "caption": {"text": ...} or null; very old GraphQL nodes sent a string.
Status read_caption(od::value& value, const JsonPath& at, std::string& caption) {
    GK_ASSIGN_OR_RETURN(const od::json_type type, walk::type_of(value, at, "a caption"));
    if (type == od::json_type::string) return walk::read_string(value, at, caption);
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "text") return walk::read_string(v, p, caption);
        return {};
    });
}

// GraphQL {"edges": [{"node": {"text": ...}}]}: the first edge is the
// caption; later ones (rare) are not part of it.
Status read_caption_edges(od::value& value, const JsonPath& at, std::string& caption) {
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key != "edges") return {};
        return walk::for_each_element(v, p, [&](std::size_t index, od::value& edge, const JsonPath& ep) -> Status {
            if (index != 0) return {};
            return walk::for_each_field(edge, ep, [&](std::string_view k, od::value& node, const JsonPath& np) -> Status {
                if (k != "node") return {};
                return read_caption(node, np, caption);
            });
        });
    });
}

Status read_owner(od::value& value, const JsonPath& at, Post& post) {
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "pk" || key == "id") return walk::read_id(v, p, post.owner_id);
        if (key == "username") return walk::read_optional_string(v, p, post.owner_username);
        return {};
    });
}

Status read_node(od::value& value, const JsonPath& at, Post* post, ItemFiles& files);

// A carousel child: only its files matter.
Status read_child(od::value& value, const JsonPath& at, std::vector<MediaUrl>& children) {
    ItemFiles child;
    GK_TRY(read_node(value, at, nullptr, child));
    if (auto file = best_file(child, resolved_type(child))) children.push_back(std::move(*file));
    return {};
}

// GraphQL {"edges": [{"node": child}]}.
Status read_sidecar_children(od::value& value, const JsonPath& at, std::vector<MediaUrl>& children) {
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key != "edges") return {};
        return walk::for_each_element(v, p, [&](std::size_t, od::value& edge, const JsonPath& ep) -> Status {
            return walk::for_each_field(edge, ep, [&](std::string_view k, od::value& node, const JsonPath& np) -> Status {
                if (k != "node") return {};
                return read_child(node, np, children);
            });
        });
    });
}

// The keys read_node acts on. A node has 30–80 keys and most are of no
// interest, so the key is classified by its length first: an unknown key
// costs one switch and at most a couple of comparisons instead of one per
// known key.
enum class NodeKey {
    other, typename_, media_type, is_video, dimensions, original_width, original_height, display_url,
    display_resources, video_url, video_versions, image_versions2, pk, id, shortcode, taken_at, caption,
    caption_edges, like_count, like_edge, comment_count, comment_edge, owner, carousel_media, sidecar_children,
};

NodeKey classify(std::string_view key) {
    switch (key.size()) {
        case 2:
            if (key == "pk") return NodeKey::pk;
            if (key == "id") return NodeKey::id;
            break;
        case 4:
            if (key == "code") return NodeKey::shortcode;
            if (key == "user") return NodeKey::owner;
            break;
        case 5:
            if (key == "owner") return NodeKey::owner;
            break;
        case 7:
            if (key == "caption") return NodeKey::caption;
            break;
        case 8:
            if (key == "is_video") return NodeKey::is_video;
            if (key == "taken_at") return NodeKey::taken_at;
            break;
        case 9:
            if (key == "shortcode") return NodeKey::shortcode;
            if (key == "video_url") return NodeKey::video_url;
            break;
        case 10:
            if (key == "__typename") return NodeKey::typename_;
            if (key == "media_type") return NodeKey::media_type;
            if (key == "dimensions") return NodeKey::dimensions;
            if (key == "like_count") return NodeKey::like_count;
            break;
        case 11:
            if (key == "display_url") return NodeKey::display_url;
            break;
        case 13:
            if (key == "edge_liked_by") return NodeKey::like_edge;
            if (key == "comment_count") return NodeKey::comment_count;
            break;
        case 14:
            if (key == "video_versions") return NodeKey::video_versions;
            if (key == "original_width") return NodeKey::original_width;
            if (key == "carousel_media") return NodeKey::carousel_media;
            break;
        case 15:
            if (key == "image_versions2") return NodeKey::image_versions2;
            if (key == "original_height") return NodeKey::original_height;
            break;
        case 17:
            if (key == "display_resources") return NodeKey::display_resources;
            break;
        case 18:
            if (key == "taken_at_timestamp") return NodeKey::taken_at;
            break;
        case 21:
            if (key == "edge_media_to_caption") return NodeKey::caption_edges;
            if (key == "edge_media_to_comment") return NodeKey::comment_edge;
            break;
        case 23:
            if (key == "edge_media_preview_like") return NodeKey::like_edge;
            break;
        case 24:
            if (key == "edge_sidecar_to_children") return NodeKey::sidecar_children;
            break;
        case 26:
            if (key == "edge_media_preview_comment") return NodeKey::comment_edge;
            break;
        case 28:
            if (key == "edge_media_to_parent_comment") return NodeKey::comment_edge;
            break;
        default: break;
    }
    return NodeKey::other;
}

// One node, post-level fields into *post (nullptr for a carousel child,
// whose post-level fields and nested carousels are ignored: children never
// nest, and not descending keeps the recursion at two levels).
Status read_node(od::value& value, const JsonPath& at, Post* post, ItemFiles& files) {
    bool id_from_pk = false;
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        const NodeKey which = classify(key);
        // Files (posts and children alike).
        switch (which) {
            case NodeKey::other: return {};
            case NodeKey::typename_: {
                std::string_view name;
                GK_TRY(walk::read_string_view(v, p, name));
                if (auto type = type_from_typename(name)) files.declared_type = type;
                return {};
            }
            case NodeKey::media_type: {
                std::int64_t code = 0;
                GK_TRY(walk::read_count(v, p, code));
                if (auto type = type_from_code(code)) files.declared_type = type;
                return {};
            }
            case NodeKey::is_video: return walk::read_flag(v, p, files.is_video);
            case NodeKey::dimensions: return read_dimensions(v, p, files);
            case NodeKey::original_width: return walk::read_dimension(v, p, files.width);
            case NodeKey::original_height: return walk::read_dimension(v, p, files.height);
            case NodeKey::display_url: return walk::read_string_view(v, p, files.display_url);
            case NodeKey::display_resources: return read_renditions(v, p, files.best_image);
            case NodeKey::video_url: return walk::read_string_view(v, p, files.video_url);
            case NodeKey::video_versions: return read_renditions(v, p, files.best_video);
            case NodeKey::image_versions2:
                return walk::for_each_field(v, p, [&](std::string_view k, od::value& c, const JsonPath& cp) -> Status {
                    if (k == "candidates") return read_renditions(c, cp, files.best_image);
                    return {};
                });
            default: break;
        }
        if (post == nullptr) return {};

        // Post-level fields.
        switch (which) {
            case NodeKey::pk:
                id_from_pk = true;
                return walk::read_id(v, p, post->id);
            case NodeKey::id: {
                if (id_from_pk) return {};  // pk is the plain media id; v1 "id" is "<pk>_<owner>"
                GK_TRY(walk::read_id(v, p, post->id));
                if (const auto underscore = post->id.find('_'); underscore != std::string::npos)
                    post->id.resize(underscore);
                return {};
            }
            case NodeKey::shortcode: return walk::read_string(v, p, post->shortcode);
            case NodeKey::taken_at: return walk::read_epoch_seconds(v, p, post->taken_at);
            case NodeKey::caption: return read_caption(v, p, post->caption);
            case NodeKey::caption_edges: return read_caption_edges(v, p, post->caption);
            case NodeKey::like_count: return walk::read_count(v, p, post->like_count);
            case NodeKey::like_edge: return walk::read_edge_count(v, p, post->like_count);
            case NodeKey::comment_count: return walk::read_count(v, p, post->comment_count);
            case NodeKey::comment_edge: return walk::read_edge_count(v, p, post->comment_count);
            case NodeKey::owner: return read_owner(v, p, *post);
            case NodeKey::carousel_media:
                return walk::for_each_element(v, p, [&](std::size_t, od::value& child, const JsonPath& cp) -> Status {
                    return read_child(child, cp, files.children);
                });
            case NodeKey::sidecar_children: return read_sidecar_children(v, p, files.children);
            default: return {};
        }
    });
}

}  // namespace

Status read_post(od::value& value, const JsonPath& at, Post& out) {
    GK_ASSIGN_OR_RETURN(const od::json_type type, walk::type_of(value, at, "a post object"));
    if (type != od::json_type::object) return walk::expected_at(at, "a post object", simdjson::SUCCESS, type);
    ItemFiles files;
    GK_TRY(read_node(value, at, &out, files));
    if (out.id.empty()) return walk::expected_at(at.member("id"), "the post's id ('id' or 'pk')");
    if (out.shortcode.empty()) return walk::expected_at(at.member("shortcode"), "the post's shortcode ('shortcode' or 'code')");
    out.media_type = resolved_type(files);
    out.is_video = out.media_type == MediaType::video;
    if (!files.children.empty()) {
        out.media = std::move(files.children);
    } else if (auto file = best_file(files, out.media_type)) {
        out.media.push_back(std::move(*file));
    }
    out.hashtags = extract_hashtags(out.caption);
    out.mentions = extract_mentions(out.caption);
    return {};
}

Status read_page_info(od::value& value, const JsonPath& at, std::optional<std::string>& cursor, bool& has_next) {
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "has_next_page") return walk::read_flag(v, p, has_next);
        if (key == "end_cursor") return walk::read_optional_string(v, p, cursor);
        return {};
    });
}

Status read_post_array(od::value& value, const JsonPath& at, std::vector<Post>& out) {
    return walk::for_each_element(value, at, [&](std::size_t, od::value& item, const JsonPath& p) -> Status {
        Post post;
        GK_TRY(read_post(item, p, post));
        out.push_back(std::move(post));
        return {};
    });
}

Status read_post_connection(od::value& value, const JsonPath& at, PostsPage& page, std::int64_t* total) {
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "count") {
            std::int64_t count = 0;
            GK_TRY(walk::read_count(v, p, count));
            if (total != nullptr) *total = count;
            return {};
        }
        if (key == "page_info") return read_page_info(v, p, page.next_cursor, page.has_next);
        if (key != "edges") return {};
        return walk::for_each_element(v, p, [&](std::size_t, od::value& edge, const JsonPath& ep) -> Status {
            bool has_node = false;
            GK_TRY(walk::for_each_field(edge, ep, [&](std::string_view k, od::value& node, const JsonPath& np) -> Status {
                if (k != "node") return {};
                has_node = true;
                Post post;
                GK_TRY(read_post(node, np, post));
                page.items.push_back(std::move(post));
                return {};
            }));
            if (!has_node) return walk::expected_at(ep.member("node"), "an edge's post object");
            return {};
        });
    });
}

}  // namespace gramkit::instagram::detail
