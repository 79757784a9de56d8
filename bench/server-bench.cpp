// blockforge-server-bench: requests per second and latency of the chain server, bounded
// in time, loopback only. Runs a ChainServer in this process on its own thread (temporary
// database, difficulty 6) and N client threads, each on one keep-alive connection with
// plain POSIX sockets, sending one request at a time.
//
//   blockforge-server-bench [--connections N] [--seconds S]
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
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == u"--connections"_s)
            connections = std::clamp(args[i + 1].toInt(), 1, 256);
        else if (args[i] == u"--seconds"_s)
            seconds = std::clamp(args[i + 1].toDouble(), 0.5, 30.0);
    }
    QLoggingCategory::setFilterRules(u"blockforge.*=false"_s);

    QTemporaryDir dir;
    ChainServer::Config config;
    config.databasePath = dir.filePath(u"chain.db"_s);
    auto server = std::make_unique<ChainServer>(config);
    QThread thread;
    server->moveToThread(&thread);
    thread.start();
    quint16 port = 0;
    QString error;
    QByteArray blockString;
    QMetaObject::invokeMethod(server.get(), [&] {
        if (server->open(&error)) {
            port = server->listen(QHostAddress::LocalHost, 0);
            error = server->errorString();
            blockString = server->chain().lastBlockString();
        }
    }, Qt::BlockingQueuedConnection);
    if (!port) {
        std::fprintf(stderr, "server-bench: %s\n", qPrintable(error));
        thread.quit();
        thread.wait();
        return 1;
    }
    std::uint64_t invalid = 1;
    while (Pow::validProof(blockString, invalid, config.difficulty))
        ++invalid;
    const std::string body = "{\"proof\": " + std::to_string(invalid) + ", \"id\": \"bench\"}";

    std::printf("chain server on 127.0.0.1:%u, %d keep-alive connections, %.1f s each\n", port,
                connections, seconds);
    const std::string get = "GET /last_block HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    report("GET /last_block", run(port, get, 200, connections, seconds), seconds);
    const std::string post = "POST /mine HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                             "application/json\r\nContent-Length: "
        + std::to_string(body.size()) + "\r\n\r\n" + body;
    report("POST /mine (invalid proof, 400)", run(port, post, 400, connections, seconds), seconds);

    QMetaObject::invokeMethod(server.get(), [&] { server.reset(); }, Qt::BlockingQueuedConnection);
    thread.quit();
    thread.wait();
    return 0;
}
