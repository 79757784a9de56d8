// blockforge-server-bench: requests per second and latency of the chain server, bounded
// in time, loopback only. Runs a ChainServer in this process on its own thread (temporary
// database, difficulty 6) and N client threads, each on one keep-alive connection with
// plain POSIX sockets, sending one request at a time.
//
//   blockforge-server-bench [--connections N] [--seconds S] [--blocks B]
// With --blocks it first forges B blocks at difficulty 1 (database on /dev/shm when it
// exists, so setting up is quick), then also measures GET /chain (whole and paged) and
// GET /last_block while one client keeps fetching the whole chain.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QThread>

#include "core/chainserver.h"
#include "core/pow.h"

using namespace Qt::StringLiterals;

namespace
{
using Clock = std::chrono::steady_clock;

struct Result
{
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::vector<double> latenciesMs;
};

int connectTo(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// Sends request and reads one whole answer; returns its status, or 0 on failure.
int exchange(int fd, const std::string &request, std::string &buffer)
{
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
        return 0;
    char chunk[16384];
    while (true) {
        const std::size_t headEnd = buffer.find("\r\n\r\n");
        if (headEnd != std::string::npos) {
            const std::size_t lengthAt = buffer.find("Content-Length: ");
            if (lengthAt == std::string::npos || lengthAt > headEnd)
                return 0;
            const std::size_t length = std::strtoul(buffer.c_str() + lengthAt + 16, nullptr, 10);
            const std::size_t total = headEnd + 4 + length;
            if (buffer.size() >= total) {
                const int status = std::atoi(buffer.c_str() + 9);
                buffer.erase(0, total);
                return status;
            }
        }
        const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0)
            return 0;
        buffer.append(chunk, static_cast<std::size_t>(got));
    }
}

Result run(quint16 port, const std::string &request, int expectedStatus, int connections,
           double seconds)
{
    std::vector<Result> results(static_cast<std::size_t>(connections));
    std::atomic<bool> running {true};
    std::vector<std::thread> threads;
    for (int i = 0; i < connections; ++i) {
        threads.emplace_back([&, i] {
            Result &result = results[static_cast<std::size_t>(i)];
            result.latenciesMs.reserve(1 << 20);
            const int fd = connectTo(port);
            if (fd < 0) {
                ++result.errors;
                return;
            }
            std::string buffer;
            while (running.load(std::memory_order_relaxed)) {
                const auto start = Clock::now();
                const int status = exchange(fd, request, buffer);
                const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
                if (status != expectedStatus) {
                    ++result.errors;
                    break;
                }
                ++result.requests;
                result.latenciesMs.push_back(ms);
            }
            ::close(fd);
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    running = false;
    for (std::thread &thread : threads)
        thread.join();
    Result total;
    for (Result &result : results) {
        total.requests += result.requests;
        total.errors += result.errors;
        total.latenciesMs.insert(total.latenciesMs.end(), result.latenciesMs.begin(),
                                 result.latenciesMs.end());
    }
    std::sort(total.latenciesMs.begin(), total.latenciesMs.end());
    return total;
}

double percentile(const std::vector<double> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const auto at = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return sorted[at];
}

void report(const char *name, const Result &result, double seconds)
{
    std::printf("%-34s %9.0f req/s   p50 %6.3f ms   p99 %6.3f ms   (%llu requests, %llu errors)\n",
                name, static_cast<double>(result.requests) / seconds,
                percentile(result.latenciesMs, 0.50), percentile(result.latenciesMs, 0.99),
                static_cast<unsigned long long>(result.requests),
                static_cast<unsigned long long>(result.errors));
}
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int connections = 8;
    double seconds = 3;
    int blocks = 0;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == u"--connections"_s)
            connections = std::clamp(args[i + 1].toInt(), 1, 256);
        else if (args[i] == u"--seconds"_s)
            seconds = std::clamp(args[i + 1].toDouble(), 0.5, 30.0);
        else if (args[i] == u"--blocks"_s)
            blocks = std::clamp(args[i + 1].toInt(), 0, 1'000'000);
    }
    QLoggingCategory::setFilterRules(u"blockforge.*=false"_s);

    QTemporaryDir dir(blocks && QFileInfo(u"/dev/shm"_s).isWritable()
                          ? u"/dev/shm/blockforge-bench-XXXXXX"_s : QString());
    ChainServer::Config config;
    config.databasePath = dir.filePath(u"chain.db"_s);
    if (blocks)
        config.difficulty = 1;
    auto server = std::make_unique<ChainServer>(config);
    QThread thread;
    server->moveToThread(&thread);
    thread.start();
    quint16 port = 0;
    QString error;
    QMetaObject::invokeMethod(server.get(), [&] {
        if (server->open(&error)) {
            const auto start = Clock::now();
            for (int i = 0; i < blocks; ++i) {
                const auto proof = Pow::search(server->chain().lastBlockString(), 1, 0, 1 << 20);
                server->submitProof("{\"proof\": " + QByteArray::number(*proof)
                                    + ", \"id\": \"bench\"}");
            }
            if (blocks)
                std::printf("forged %d blocks in %.1f s\n", blocks,
                            std::chrono::duration<double>(Clock::now() - start).count());
            port = server->listen(QHostAddress::LocalHost, 0);
            error = server->errorString();
        }
    }, Qt::BlockingQueuedConnection);
    if (!port) {
        std::fprintf(stderr, "server-bench: %s\n", qPrintable(error));
        thread.quit();
        thread.wait();
        return 1;
    }
    // Invalid for the last block and not a late proof for any block before it (400).
    std::uint64_t invalid = 1;
    QMetaObject::invokeMethod(server.get(), [&] {
        while (server->chain().isValidProof(invalid) || server->chain().staleBlockFor(invalid))
            ++invalid;
    }, Qt::BlockingQueuedConnection);
    const std::string body = "{\"proof\": " + std::to_string(invalid) + ", \"id\": \"bench\"}";

    std::printf("chain server on 127.0.0.1:%u, %d keep-alive connections, %.1f s each\n", port,
                connections, seconds);
    const std::string get = "GET /last_block HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    report("GET /last_block", run(port, get, 200, connections, seconds), seconds);
    const std::string post = "POST /mine HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                             "application/json\r\nContent-Length: "
        + std::to_string(body.size()) + "\r\n\r\n" + body;
    report("POST /mine (invalid proof, 400)", run(port, post, 400, connections, seconds), seconds);

    if (blocks) {
        std::printf("chain of %d blocks:\n", blocks + 1);
        const std::string whole = "GET /chain HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        report("GET /chain (whole), 1 connection", run(port, whole, 200, 1, seconds), seconds);
        const std::string page = "GET /chain?start=" + std::to_string(blocks / 2)
            + "&limit=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        report("GET /chain?limit=1000", run(port, page, 200, connections, seconds), seconds);
        // Other clients while one keeps fetching the whole chain.
        std::atomic<bool> fetching {true};
        std::thread reader([&] {
            const int fd = connectTo(port);
            std::string buffer;
            while (fd >= 0 && fetching.load() && exchange(fd, whole, buffer) == 200) {
            }
            if (fd >= 0)
                ::close(fd);
        });
        report("GET /last_block beside GET /chain", run(port, get, 200, connections, seconds),
               seconds);
        fetching = false;
        reader.join();
    }

    QMetaObject::invokeMethod(server.get(), [&] { server.reset(); }, Qt::BlockingQueuedConnection);
    thread.quit();
    thread.wait();
    return 0;
}
