#include "ui/responselog.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QScrollBar>
#include <QTextCharFormat>
#include <QTextCursor>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace
{
QColor colorOf(LogEntry::Kind kind)
{
    switch (kind) {
    case LogEntry::Kind::Accepted:
        return QColor(0x1b, 0x7f, 0x3b);
    case LogEntry::Kind::Stale:
        return QColor(0x9a, 0x67, 0x00);
    case LogEntry::Kind::Rejected:
    case LogEntry::Kind::Error:
        return QColor(0xb3, 0x26, 0x1e);
    case LogEntry::Kind::Info:
    case LogEntry::Kind::Work:
    case LogEntry::Kind::Proof:
        break;
    }
    return {};
}
}

ResponseLog::ResponseLog(QWidget *parent)
    : QPlainTextEdit{parent}
    , m_flushTimer{new QTimer(this)}
{
    setReadOnly(true);
    setUndoRedoEnabled(false);
    setMaximumBlockCount(MaxLines);
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setPlaceholderText(u"Server responses and errors appear here."_s);
    m_flushTimer->setSingleShot(true);
    m_flushTimer->setInterval(FlushIntervalMs);
    connect(m_flushTimer, &QTimer::timeout, this, &ResponseLog::flush);
}

ResponseLog::~ResponseLog() = default;

void ResponseLog::addEntry(const LogEntry &entry)
{
    if (m_pending.size() >= MaxLines)
        m_pending.removeFirst();
    m_pending.append(entry);
    if (!m_flushTimer->isActive())
        m_flushTimer->start();
}

void ResponseLog::flush()
{
    m_flushTimer->stop();
    if (m_pending.isEmpty())
        return;

    // Follow the end only when the user has not scrolled up to read.
    QScrollBar *bar = verticalScrollBar();
    const bool atEnd = bar->value() >= bar->maximum() - 2;

    QTextCharFormat stampFormat;
    stampFormat.setForeground(palette().color(QPalette::PlaceholderText));

    // insertText() never interprets markup: "<b>" stays three characters.
    QTextCursor cursor(document());
    cursor.movePosition(QTextCursor::End);
    cursor.beginEditBlock();
    for (const LogEntry &entry : std::as_const(m_pending)) {
        QTextCharFormat textFormat;
        if (const QColor color = colorOf(entry.kind); color.isValid())
            textFormat.setForeground(color);
        QString line = entry.text;
        line.replace(u'\n', u' ');
        if (!document()->isEmpty())
            cursor.insertBlock();
        cursor.insertText(entry.time.toString(u"hh:mm:ss"_s) + u"  "_s, stampFormat);
        cursor.insertText(line, textFormat);
    }
    cursor.endEditBlock();
    m_pending.clear();

    if (atEnd)
        bar->setValue(bar->maximum());
}
