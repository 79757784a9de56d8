#include "app/jsonevents.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include "core/miningmodel.h"
#include "core/printable.h"
#include "core/validate.h"

using namespace Qt::StringLiterals;
using MinerProtocol::ReplyKind;

namespace
{
QString resultName(ReplyKind kind)
{
    switch (kind) {
    case ReplyKind::Accepted:
        return u"accepted"_s;
    case ReplyKind::Stale:
        return u"stale"_s;
    case ReplyKind::Rejected:
        return u"rejected"_s;
    case ReplyKind::Error:
        break;
    }
    return u"error"_s;
}

QJsonValue optionalRate(const std::optional<double> &rate)
{
    return rate ? QJsonValue(*rate) : QJsonValue(QJsonValue::Null);
}

// Integers beyond 2^53 lose digits as JSON doubles: those are written as strings.
QJsonValue integer(qint64 value)
{
    constexpr qint64 Exact = qint64(1) << 53;
    return value > -Exact && value < Exact ? QJsonValue(value) : QJsonValue(QString::number(value));
}

QJsonValue bigUnsigned(quint64 value)
{
    return value < (quint64(1) << 53) ? QJsonValue(static_cast<qint64>(value))
                                      : QJsonValue(QString::number(value));
}
}

JsonEvents::JsonEvents(MiningModel *model, std::FILE *out, QObject *parent)
    : QObject{parent}
    , m_model{model}
    , m_out{out}
{
    const Miner *miner = &model->miner();
    connect(miner, &Miner::started, this, [this, miner] {
        const MiningSnapshot s = m_model->snapshot();
        QJsonArray failover;
        const QList<QUrl> &nodes = m_model->nodes().nodes();
        for (qsizetype i = 1; i < nodes.size(); ++i)
            failover << Validate::displayUrl(nodes[i]);
        emitEvent(u"start"_s, {{u"url"_s, Validate::displayUrl(miner->config().serverUrl)},
                               {u"failover"_s, failover},
                               {u"id"_s, Printable::escaped(miner->config().id)},
                               {u"engine"_s, s.engine},
                               {u"threads"_s, s.threads},
                               {u"priority"_s, s.priority}});
    });
    connect(miner, &Miner::searchStarted, this,
            [this](qint64 blockIndex, const Block &lastBlock, int difficulty) {
                emitEvent(u"work"_s, {{u"block"_s, integer(blockIndex)},
                                      {u"difficulty"_s, difficulty},
                                      {u"last_block"_s, integer(lastBlock.index())},
                                      {u"last_hash"_s, QString::fromLatin1(lastBlock.hash())}});
            });
    connect(miner, &Miner::searchAbandoned, this, [this](qint64 blockIndex, qint64 newTip) {
        emitEvent(u"abandoned"_s, {{u"block"_s, integer(blockIndex)},
                                   {u"last_block"_s, integer(newTip)}});
    });
    connect(miner, &Miner::proofFound, this,
            [this](qint64 blockIndex, quint64 proof, double seconds, quint64 attempts) {
                emitEvent(u"proof"_s, {{u"block"_s, integer(blockIndex)},
                                       {u"proof"_s, bigUnsigned(proof)},
                                       {u"seconds"_s, seconds},
                                       {u"attempts"_s, bigUnsigned(attempts)}});
            });
    // After the model has counted it (it connected first): the totals include it.
    connect(miner, &Miner::answered, this,
            [this](qint64 blockIndex, const MinerProtocol::MineAnswer &answer, int retryInMs) {
                const MiningSnapshot s = m_model->snapshot();
                emitEvent(u"answer"_s, {{u"block"_s, integer(blockIndex)},
                                        {u"result"_s, resultName(answer.kind)},
                                        {u"status"_s, answer.status},
                                        {u"message"_s, Printable::escaped(answer.message)},
                                        {u"reward"_s, integer(static_cast<qint64>(answer.reward))},
                                        {u"coins"_s, integer(static_cast<qint64>(s.coins))},
                                        {u"retry_in_ms"_s, retryInMs}});
            });
    connect(miner, &Miner::problemOccurred, this, [this](const QString &message) {
        emitEvent(u"error"_s, {{u"message"_s, Printable::escaped(message)}});
    });
    connect(miner, &Miner::recovered, this, [this, miner] {
        emitEvent(u"recovered"_s, {{u"url"_s, Validate::displayUrl(miner->config().serverUrl)}});
    });
    // How new blocks reach this node's miner: the server's push (long poll) or the poll.
    connect(miner, &Miner::updatesChanged, this, [this](Miner::Updates updates) {
        if (updates != Miner::Updates::Unknown)
            emitEvent(u"updates"_s, {{u"mode"_s, updates == Miner::Updates::Push
                                                     ? u"push"_s
                                                     : u"polling"_s}});
    });
    connect(model, &MiningModel::nodeSwitched, this,
            [this](const QUrl &from, const QUrl &to, const QString &reason) {
                emitEvent(u"node"_s, {{u"from"_s, Validate::displayUrl(from)},
                                      {u"to"_s, Validate::displayUrl(to)},
                                      {u"reason"_s, Printable::escaped(reason)}});
            });
}

void JsonEvents::hashRate()
{
    const MiningSnapshot s = m_model->snapshot();
    emitEvent(u"hashrate"_s, {{u"rate"_s, s.hashRate},
                              {u"rate_10s"_s, optionalRate(s.hashRate10s)},
                              {u"rate_60s"_s, optionalRate(s.hashRate60s)},
                              {u"rate_15m"_s, optionalRate(s.hashRate15m)},
                              {u"threads"_s, s.threads},
                              {u"accepted"_s, s.accepted},
                              {u"coins"_s, integer(static_cast<qint64>(s.coins))}});
}

void JsonEvents::stopped()
{
    const MiningSnapshot s = m_model->snapshot();
    emitEvent(u"stop"_s, {{u"accepted"_s, s.accepted},
                          {u"stale"_s, s.stale},
                          {u"rejected"_s, s.rejected},
                          {u"coins"_s, integer(static_cast<qint64>(s.coins))},
                          {u"attempts"_s, bigUnsigned(s.attempts)},
                          {u"seconds"_s, static_cast<double>(s.miningMs) / 1000.0},
                          {u"average_rate"_s, s.averageHashRate()}});
}

void JsonEvents::emitEvent(const QString &event, QJsonObject fields)
{
    fields.insert(u"event"_s, event);
    fields.insert(u"time"_s,
                  QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    const QByteArray line = QJsonDocument(fields).toJson(QJsonDocument::Compact);
    std::fwrite(line.constData(), 1, static_cast<std::size_t>(line.size()), m_out);
    std::fputc('\n', m_out);
    std::fflush(m_out);
}
