// HTTP GET of a small JSON document from igsim over loopback with
// keep-alive: gramkit's HttpClient (the Instagram service's transport)
// against a bare synchronous Beast client doing the same exchange on one
// kept-alive connection, measured in the same run. docs/benchmarks.md also
// reports `wrk` against the igsim executable (an external baseline that
// cannot run inside Google Benchmark).
//
// Both sides: one thread, one connection reused for every request, the
// same URL (/__igsim/config, ~300 bytes of JSON), the body read completely.
#include <benchmark/benchmark.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <string>

#include "net/http_client.hpp"
#include "server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr const char* kTarget = "/__igsim/config";

igsim::Server& server() {
    static igsim::Server* s = [] {
        igsim::ServerOptions o;
        o.world.users = 2;
        o.world.posts_per_user = 1;
        o.enable_https = false;
        auto* started = new igsim::Server(std::move(o));  // lives until exit: benchmarks share it
        started->start();
        return started;
    }();
    return *s;
}

void BM_HttpClient_Get_KeepAlive(benchmark::State& state) {
    auto client = gramkit::net::HttpClient::create({});
    if (!client) {
        state.SkipWithError(client.error().message.c_str());
        return;
    }
    gramkit::net::HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(server().http_port()) + kTarget;
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto r = (*client)->send(request);
        if (!r || r->status != 200) {
            state.SkipWithError("request failed");
            return;
        }
        bytes += r->body.size();
    }
    state.counters["requests/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_HttpClient_Get_KeepAlive)->UseRealTime();

// Baseline: the least a Beast client can do per request on a kept-alive
// connection (no pool, no cookies, no redirects, no decoding, no timeouts).
void BM_BareBeastSync_Get_KeepAlive(benchmark::State& state) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), server().http_port()});
    http::request<http::empty_body> request{http::verb::get, kTarget, 11};
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(true);
    beast::flat_buffer buffer;
    std::size_t bytes = 0;
    for (auto _ : state) {
        http::write(socket, request);
        http::response<http::string_body> response;
        http::read(socket, buffer, response);
        if (response.result_int() != 200) {
            state.SkipWithError("request failed");
            return;
        }
        bytes += response.body().size();
    }
    state.counters["requests/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_BareBeastSync_Get_KeepAlive)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
