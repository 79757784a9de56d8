#pragma once

#include <QPlainTextEdit>
#include <QVector>

#include "core/miningsnapshot.h"
#include "core/result.h"

class QTimer;

// The window's log of server responses and errors: read-only, append-only, one
// time-stamped line per LogEntry, coloured by its kind, at most MaxLines lines. Text
// is inserted as plain text, so a message containing HTML tags shows literally, and
// laid out left to right with every control, bidi or invisible character shown
// escaped (shownText()), so no text can reorder or hide what follows it.
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

    void copyToClipboard();   // the selection, or every line when nothing is selected
    void clearLog();
    // Writes every line (UTF-8, one per line) to path, atomically.
    Result<void> saveTo(const QString &path);

    // A message as a line shows it: C0/C1 controls, format characters (bidi controls,
    // zero-width characters, BOM), line and paragraph separators and lone surrogates
    // become \n, \t, \xNN or \uNNNN (\U00NNNNNN above U+FFFF); backslashes stay as
    // they are, so text escaped before is not escaped twice.
    static QString shownText(QStringView text);

protected:
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    QVector<LogEntry> m_pending;
    QTimer *m_flushTimer = nullptr;   // child of this
};
