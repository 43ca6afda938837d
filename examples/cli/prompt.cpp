// gramkit CLI — no-echo terminal prompt and stdin secrets.
#include "prompt.hpp"

#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "context.hpp"

namespace gramkit::cli {
namespace {

// The terminal state to restore if a signal arrives while echo is off.
struct termios g_saved_termios;
volatile std::sig_atomic_t g_echo_off = 0;

constexpr int kRestoreSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void restore_and_reraise(int sig) {
    if (g_echo_off) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
        g_echo_off = 0;
        const char nl = '\n';
        (void)!::write(STDERR_FILENO, &nl, 1);
    }
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

// Turns terminal echo off for its lifetime; restores it on destruction and
// when the process is interrupted.
class EchoOff {
public:
    EchoOff() {
        if (::tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) return;
        struct sigaction sa {};
        sa.sa_handler = restore_and_reraise;
        sigemptyset(&sa.sa_mask);
        for (std::size_t i = 0; i < std::size(kRestoreSignals); ++i) {
            ::sigaction(kRestoreSignals[i], &sa, &previous_[i]);
        }
        struct termios quiet = g_saved_termios;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;  // still move to the next line on Enter
        if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0) g_echo_off = 1;
        active_ = true;
    }
    ~EchoOff() {
        if (!active_) return;
        if (g_echo_off) {
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
            g_echo_off = 0;
        }
        for (std::size_t i = 0; i < std::size(kRestoreSignals); ++i) {
            ::sigaction(kRestoreSignals[i], &previous_[i], nullptr);
        }
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    bool active_ = false;
    struct sigaction previous_[std::size(kRestoreSignals)] {};
};

bool read_line(std::string& line) {
    if (!std::getline(std::cin, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

std::string read_from_terminal(std::string_view what, std::string_view prompt) {
    std::cerr << prompt << std::flush;
    std::string line;
    bool ok = false;
    {
        EchoOff guard;
        ok = read_line(line);
    }
    if (!ok) {
        std::cerr << '\n';
        throw CommandError(ErrorCode::cancelled, "no " + std::string(what) + " entered");
    }
    return line;
}

}  // namespace

bool stdin_is_terminal() { return ::isatty(STDIN_FILENO) == 1; }

void wipe(std::string& secret) noexcept {
    volatile char* p = secret.data();
    for (std::size_t i = 0; i < secret.size(); ++i) p[i] = 0;
    secret.clear();
}

std::string read_secret(std::string_view what, std::string_view prompt, bool confirm) {
    std::string secret;
    if (stdin_is_terminal()) {
        secret = read_from_terminal(what, prompt);
        if (confirm && !secret.empty()) {
            std::string again = read_from_terminal(what, "Repeat " + std::string(what) + ": ");
            const bool same = again == secret;
            wipe(again);
            if (!same) {
                wipe(secret);
                throw CommandError(ErrorCode::invalid_argument, "the two " + std::string(what) + "s do not match");
            }
        }
    } else if (!read_line(secret)) {
        throw CommandError(ErrorCode::invalid_argument,
                           "expected the " + std::string(what) + " as one line on stdin (it is never taken from the command line)");
    }
    if (secret.empty()) throw CommandError(ErrorCode::invalid_argument, std::string(what) + " must not be empty");
    return secret;
}

std::string read_all_stdin() {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace gramkit::cli
