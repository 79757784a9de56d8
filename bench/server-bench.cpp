// blockforge-server-bench: requests per second and latency of the chain server, bounded
// in time, loopback only. Runs ChainServers in this process, each on its own thread
// (temporary SQLite database, difficulty 6, unless told otherwise) and N client threads,
// each on one keep-alive connection with plain POSIX sockets, sending one request at a
// time, spread over the servers.
//
//   blockforge-server-bench [--connections N] [--seconds S] [--blocks B]
//                           [--db postgresql://...] [--servers K] [--difficulty D]
//                           [--visibility ROUNDS]
// --db points the servers at a database (it forges blocks: use an empty one); --servers K
// runs K servers on it (PostgreSQL only). At difficulty 3 or less it also measures forging
// (GET /last_block, search, POST /mine on every connection: 200s and 409s). --visibility
// forges ROUNDS blocks on the first server and times until every other one shows each.
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
#include "core/chainstore.h"
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

// Sends request and reads one whole answer; returns its status, or 0 on failure. With
// body, also the answer's body.
int exchange(int fd, const std::string &request, std::string &buffer, std::string *body = nullptr)
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
                if (body)
                    body->assign(buffer, headEnd + 4, length);
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

Result run(const std::vector<quint16> &ports, const std::string &request, int expectedStatus,
           int connections, double seconds)
{
    std::vector<Result> results(static_cast<std::size_t>(connections));
    std::atomic<bool> running {true};
    std::vector<std::thread> threads;
    for (int i = 0; i < connections; ++i) {
        threads.emplace_back([&, i] {
            Result &result = results[static_cast<std::size_t>(i)];
            result.latenciesMs.reserve(1 << 20);
            const int fd = connectTo(ports[static_cast<std::size_t>(i) % ports.size()]);
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
    std::printf("%-36s %9.0f req/s   p50 %6.3f ms   p99 %6.3f ms   (%llu requests, %llu errors)\n",
                name, static_cast<double>(result.requests) / seconds,
                percentile(result.latenciesMs, 0.50), percentile(result.latenciesMs, 0.99),
                static_cast<unsigned long long>(result.requests),
                static_cast<unsigned long long>(result.errors));
}


// {"last_block": <block string>, "difficulty": n} -> the block string and its index.
bool parseLastBlock(const std::string &body, std::string *block, long long *index)
{
    const std::string head = "{\"last_block\": ";
    const std::size_t end = body.rfind(", \"difficulty\": ");
    if (body.compare(0, head.size(), head) != 0 || end == std::string::npos)
        return false;
    *block = body.substr(head.size(), end - head.size());
    const std::size_t at = block->find("\"index\": ");
    if (at == std::string::npos)
        return false;
    *index = std::atoll(block->c_str() + at + 9);
    return true;
}

std::string mineRequest(std::uint64_t proof)
{
    const std::string body = "{\"proof\": " + std::to_string(proof) + ", \"id\": \"bench\"}";
    return "POST /mine HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

const std::string GetLastBlock = "GET /last_block HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

// Each connection: GET /last_block, search a proof, POST /mine; the POSTs are measured
// (200 forged; 409, or 400 past the stale window: someone else was first).
struct ForgeResult
{
    Result posts;
    std::uint64_t forged = 0;
    std::uint64_t stale = 0;
};

ForgeResult forge(const std::vector<quint16> &ports, int difficulty, int connections,
                  double seconds)
{
    std::vector<ForgeResult> results(static_cast<std::size_t>(connections));
    std::atomic<bool> running {true};
    std::vector<std::thread> threads;
    for (int i = 0; i < connections; ++i) {
        threads.emplace_back([&, i] {
            ForgeResult &result = results[static_cast<std::size_t>(i)];
            const int fd = connectTo(ports[static_cast<std::size_t>(i) % ports.size()]);
            std::string buffer;
            std::string body;
            std::string block;
            long long index = 0;
            std::uint64_t start = static_cast<std::uint64_t>(i) << 40;
            while (fd >= 0 && running.load(std::memory_order_relaxed)) {
                if (exchange(fd, GetLastBlock, buffer, &body) != 200
                    || !parseLastBlock(body, &block, &index)) {
                    ++result.posts.errors;
                    break;
                }
                const auto proof = Pow::search(QByteArray::fromStdString(block), difficulty,
                                               start, 1 << 24);
                start += 1 << 24;
                if (!proof)
                    continue;
                const auto begin = Clock::now();
                const int status = exchange(fd, mineRequest(*proof), buffer);
                result.posts.latenciesMs.push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
                ++result.posts.requests;
                if (status == 200)
                    ++result.forged;
                else if (status == 409 || status == 400)   // 400: beyond the stale window
                    ++result.stale;
                else
                    ++result.posts.errors;
            }
            if (fd >= 0)
                ::close(fd);
            else
                ++result.posts.errors;
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    running = false;
    for (std::thread &thread : threads)
        thread.join();
    ForgeResult total;
    for (ForgeResult &result : results) {
        total.forged += result.forged;
        total.stale += result.stale;
        total.posts.requests += result.posts.requests;
        total.posts.errors += result.posts.errors;
        total.posts.latenciesMs.insert(total.posts.latenciesMs.end(),
                                       result.posts.latenciesMs.begin(),
                                       result.posts.latenciesMs.end());
    }
    std::sort(total.posts.latenciesMs.begin(), total.posts.latenciesMs.end());
    return total;
}

// Forges a block on the first server, then polls the others' /last_block until all of
// them show it: milliseconds from the 200 to the last server showing it, per block.
std::vector<double> visibility(const std::vector<quint16> &ports, int difficulty, int rounds)
{
    std::vector<double> latencies;
    std::vector<int> fds;
    for (quint16 port : ports)
        fds.push_back(connectTo(port));
    if (std::find(fds.begin(), fds.end(), -1) != fds.end())
        return latencies;
    std::string buffer;
    std::string body;
    std::string block;
    long long index = 0;
    std::uint64_t start = 1ULL << 50;
    for (int round = 0; round < rounds; ++round) {
        if (exchange(fds[0], GetLastBlock, buffer, &body) != 200
            || !parseLastBlock(body, &block, &index))
            break;
        const auto proof = Pow::search(QByteArray::fromStdString(block), difficulty, start,
                                       1 << 30);
        start += 1 << 30;
        if (!proof || exchange(fds[0], mineRequest(*proof), buffer) != 200)
            break;
        const auto forged = Clock::now();
        for (std::size_t s = 1; s < fds.size(); ++s) {
            long long seen = 0;
            while (seen <= index) {
                if (exchange(fds[s], GetLastBlock, buffer, &body) != 200
                    || !parseLastBlock(body, &block, &seen))
                    return latencies;
            }
        }
        latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - forged)
                                .count());
    }
    for (int fd : fds)
        ::close(fd);
    std::sort(latencies.begin(), latencies.end());
    return latencies;
}

struct Node
{
    std::unique_ptr<ChainServer> server;
    std::unique_ptr<QThread> thread;
};
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int connections = 8;
    double seconds = 3;
    int blocks = 0;
    int serverCount = 1;
    int difficulty = Pow::DefaultDifficulty;
    int rounds = 0;
    QString database;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == u"--connections"_s)
            connections = std::clamp(args[i + 1].toInt(), 1, 256);
        else if (args[i] == u"--seconds"_s)
            seconds = std::clamp(args[i + 1].toDouble(), 0.5, 30.0);
        else if (args[i] == u"--blocks"_s)
            blocks = std::clamp(args[i + 1].toInt(), 0, 1'000'000);
        else if (args[i] == u"--db"_s)
            database = args[i + 1];
        else if (args[i] == u"--servers"_s)
            serverCount = std::clamp(args[i + 1].toInt(), 1, 16);
        else if (args[i] == u"--difficulty"_s)
            difficulty = std::clamp(args[i + 1].toInt(), 1, 8);
        else if (args[i] == u"--visibility"_s)
            rounds = std::clamp(args[i + 1].toInt(), 0, 100'000);
    }
    QLoggingCategory::setFilterRules(u"blockforge.*=false"_s);
    if (serverCount > 1 && !ChainStore::isDatabaseUrl(database)) {
        std::fprintf(stderr, "server-bench: --servers needs --db postgresql://... (an empty"
                             " database)\n");
        return 2;
    }

    QTemporaryDir dir(blocks && QFileInfo(u"/dev/shm"_s).isWritable()
                          ? u"/dev/shm/blockforge-bench-XXXXXX"_s : QString());
    ChainServer::Config config;
    config.databasePath = database.isEmpty() ? dir.filePath(u"chain.db"_s) : database;
    config.difficulty = blocks ? 1 : difficulty;
    std::vector<Node> nodes;
    std::vector<quint16> ports;
    for (int n = 0; n < serverCount; ++n) {
        Node node{std::make_unique<ChainServer>(config), std::make_unique<QThread>()};
        ChainServer *server = node.server.get();
        server->moveToThread(node.thread.get());
        node.thread->start();
        quint16 port = 0;
        QString error;
        QMetaObject::invokeMethod(server, [&] {
            if (const auto opened = server->open(); !opened) {
                error = opened.errorMessage();
            } else {
                const auto start = Clock::now();
                for (int i = 0; n == 0 && i < blocks; ++i) {
                    const auto proof = Pow::search(server->chain().lastBlockString(), 1, 0,
                                                   1 << 20);
                    server->submitProof("{\"proof\": " + QByteArray::number(*proof)
                                        + ", \"id\": \"bench\"}");
                }
                if (blocks && n == 0)
                    std::printf("forged %d blocks in %.1f s\n", blocks,
                                std::chrono::duration<double>(Clock::now() - start).count());
                port = server->listen(QHostAddress::LocalHost, 0);
                error = server->errorString();
            }
        }, Qt::BlockingQueuedConnection);
        nodes.push_back(std::move(node));
        if (!port) {
            std::fprintf(stderr, "server-bench: %s\n", qPrintable(error));
            for (Node &started : nodes) {
                QMetaObject::invokeMethod(started.server.get(), [&] { started.server.reset(); },
                                          Qt::BlockingQueuedConnection);
                started.thread->quit();
                started.thread->wait();
            }
            return 1;
        }
        ports.push_back(port);
    }
    ChainServer *first = nodes.front().server.get();
    // Invalid for the last block and not a late proof for any block before it (400).
    std::uint64_t invalid = 1;
    QMetaObject::invokeMethod(first, [&] {
        while (first->chain().isValidProof(invalid) || first->chain().staleBlockFor(invalid))
            ++invalid;
    }, Qt::BlockingQueuedConnection);

    QString store;
    QMetaObject::invokeMethod(first, [&] { store = first->store().displayName(); },
                              Qt::BlockingQueuedConnection);
    std::printf("%d chain server%s on %s, difficulty %d, %d keep-alive connections spread"
                " over them, %.1f s each\n", serverCount, serverCount > 1 ? "s" : "",
                database.isEmpty() ? "SQLite" : qPrintable(store), config.difficulty, connections,
                seconds);
    report("GET /last_block", run(ports, GetLastBlock, 200, connections, seconds), seconds);
    report("POST /mine (invalid proof, 400)",
           run(ports, mineRequest(invalid), 400, connections, seconds), seconds);
    if (!blocks && config.difficulty <= 3) {
        const ForgeResult forged = forge(ports, config.difficulty, connections, seconds);
        report("POST /mine (forging: 200, 409)", forged.posts, seconds);
        std::printf("%-36s %9.0f blocks/s (%llu forged, %llu late: 409 or 400)\n",
                    "  blocks forged",
                    static_cast<double>(forged.forged) / seconds,
                    static_cast<unsigned long long>(forged.forged),
                    static_cast<unsigned long long>(forged.stale));
    }
    if (rounds && ports.size() > 1) {
        const std::vector<double> seen = visibility(ports, config.difficulty, rounds);
        std::printf("%-36s p50 %6.3f ms   p99 %6.3f ms   max %6.3f ms   (%zu blocks)\n",
                    "block forged -> on every server", percentile(seen, 0.5),
                    percentile(seen, 0.99), seen.empty() ? 0.0 : seen.back(), seen.size());
    }

    if (blocks) {
        const quint16 port = ports.front();
        std::printf("chain of %d blocks:\n", blocks + 1);
        const std::string whole = "GET /chain HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        report("GET /chain (whole), 1 connection", run({port}, whole, 200, 1, seconds), seconds);
        const std::string page = "GET /chain?start=" + std::to_string(blocks / 2)
            + "&limit=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        report("GET /chain?limit=1000", run({port}, page, 200, connections, seconds), seconds);
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
        report("GET /last_block beside GET /chain",
               run({port}, GetLastBlock, 200, connections, seconds), seconds);
        fetching = false;
        reader.join();
    }

    for (Node &node : nodes) {
        QMetaObject::invokeMethod(node.server.get(), [&] { node.server.reset(); },
                                  Qt::BlockingQueuedConnection);
        node.thread->quit();
        node.thread->wait();
    }
    return 0;
}
