#pragma once

#include <QPlainTextEdit>
#include <QVector>

#include "core/miningsnapshot.h"

class QTimer;

// The window's log of server responses and errors: read-only, append-only, one
// time-stamped line per LogEntry, coloured by its kind, at most MaxLines lines. Text
// is inserted as plain text, so a message containing HTML tags shows literally.
// Entries are queued and written at most every FlushIntervalMs, so a burst of answers
// costs one repaint.
class ResponseLog final : public QPlainTextEdit
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResponseLog)

public:
    static constexpr int MaxLines = 1000;
    static constexpr int FlushIntervalMs = 250;

    explicit ResponseLog(QWidget *parent = nullptr);
    ~ResponseLog() override;

    void addEntry(const LogEntry &entry);
    void flush();   // writes the queued entries now

private:
    QVector<LogEntry> m_pending;
    QTimer *m_flushTimer = nullptr;   // child of this
};
