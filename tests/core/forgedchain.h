#pragma once

#include <memory>

#include <QFileInfo>
#include <QHostAddress>
#include <QTemporaryDir>
#include <QUrl>

#include "core/chainserver.h"
#include "core/pow.h"

// A real ChainServer on 127.0.0.1 (port 0) at difficulty 1 whose blocks the test forges
// quickly, through the server's own POST /mine handler: thousands in seconds. The
// database lives in /dev/shm where it can (no disk flush per block).
class ForgedChain
{
public:
    ForgedChain()
        : m_dir{QFileInfo(QStringLiteral("/dev/shm")).isWritable()
                    ? QStringLiteral("/dev/shm/blockforge-test-XXXXXX")
                    : QString()}
    {
    }

    Result<void> start()
    {
        ChainServer::Config config;
        config.databasePath = m_dir.filePath(QStringLiteral("chain.db"));
        config.difficulty = 1;
        m_server = std::make_unique<ChainServer>(config);
        if (Result<void> opened = m_server->open(); !opened)
            return opened;
        if (m_server->listen(QHostAddress::LocalHost, 0) == 0)
            return Error{m_server->errorString()};
        return {};
    }

    // count blocks, each paying the reward to id; true when every one was forged.
    bool forge(const QString &id, int count = 1)
    {
        for (int i = 0; i < count; ++i) {
            const auto proof = Pow::search(m_server->chain().lastBlockString(), 1, 0, 1 << 20);
            if (!proof)
                return false;
            const qsizetype before = m_server->chain().length();
            m_server->submitProof("{\"proof\": " + QByteArray::number(*proof) + ", \"id\": \""
                                  + id.toUtf8() + "\"}");
            if (m_server->chain().length() != before + 1)
                return false;
        }
        return true;
    }

    // A pending transaction, in the next block: {"sender", "recipient", "amount"}.
    bool addTransaction(const QByteArray &json)
    {
        return m_server->newTransaction(json).status == 201;
    }

    ChainServer &server() { return *m_server; }
    QUrl url() const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server->port()));
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<ChainServer> m_server;
};
