#pragma once

#include <cstdio>

#include <QJsonObject>
#include <QObject>
#include <QString>

class MiningModel;

// `blockforge --mine --json`: one JSON object per line on stdout for every event of the
// miner, for scripts and monitoring agents (the human lines are the default). Every
// object has "event" and "time" (UTC, ISO 8601 with milliseconds); the events and
// their fields are listed in the README. Text from a server is escaped as in the human
// lines (Printable::escaped), and credentials in URLs are masked.
class JsonEvents final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsonEvents)

public:
    JsonEvents(MiningModel *model, std::FILE *out, QObject *parent = nullptr);

    void hashRate();   // the "hashrate" event, from the model's snapshot
    void stopped();    // the "stop" event, with the session's totals

private:
    void emitEvent(const QString &event, QJsonObject fields);

    MiningModel *m_model = nullptr;   // not owned
    std::FILE *m_out = nullptr;
};
