// libFuzzer target: the chain server's request handling, body bytes -> answer, without
// sockets. The first byte picks the route: POST /mine with the bytes as body, POST
// /transactions/new with the bytes as body, or POST /mine with a valid proof and the
// bytes as the id (so blocks really get forged and stored).
// Properties: every answer has an expected status and a JSON object body with a string
// "message"; a 200 adds exactly one block that links to the one before.
#include <cstdint>
#include <cstdlib>

#include <QCoreApplication>
#include <QTemporaryDir>

#include "core/chainserver.h"
#include "core/pow.h"

namespace
{
constexpr int Difficulty = 2;
QCoreApplication *app = nullptr;
QTemporaryDir *dir = nullptr;
ChainServer *server = nullptr;

void check(bool condition)
{
    if (!condition)
        std::abort();
}
}

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    app = new QCoreApplication(*argc, *argv);
    dir = new QTemporaryDir;
    server = new ChainServer({dir->filePath(QStringLiteral("chain.db")), Difficulty, 1});
    if (const Result<void> opened = server->open(); !opened)
        qFatal("cannot open the chain database: %s", qPrintable(opened.errorMessage()));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const int route = data[0] % 3;
    const QByteArray bytes(reinterpret_cast<const char *>(data) + 1, static_cast<qsizetype>(size - 1));
    const qsizetype lengthBefore = server->chain().length();

    const HttpAnswer response = [&] {
        if (route == 0)
            return server->submitProof(bytes);
        if (route == 1)
            return server->newTransaction(bytes);
        const auto proof = Pow::search(server->chain().lastBlockString(), Difficulty, 0, 1 << 20);
        check(proof.has_value());
        return server->submitProof("{\"proof\": " + QByteArray::number(*proof) + ", \"id\": \""
                                   + bytes + "\"}");
    }();

    const int status = response.status;
    check(status == 200 || status == 201 || status == 400 || status == 409 || status == 413
          || status == 503);
    const auto json = CanonicalJson::parse(response.body);
    check(json && json->is_object() && json->contains("message") && (*json)["message"].is_string());
    const qsizetype lengthAfter = server->chain().length();
    if (status == 200) {
        check(lengthAfter == lengthBefore + 1);
        const auto &blocks = server->chain().blocks();
        check(Chain::verifyLink(blocks[blocks.size() - 2], blocks.back(), Difficulty).ok());
    } else {
        check(lengthAfter == lengthBefore);
    }
    return 0;
}
