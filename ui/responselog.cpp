#include "ui/responselog.h"

#include <QClipboard>
#include <QContextMenuEvent>
#include <QDateTime>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QMenu>
#include <QSaveFile>
#include <QScrollBar>
#include <QTextBlockFormat>
#include <QTextDocument>
#include <QTextDocumentFragment>
#include <QTextOption>
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

bool isInvisible(char32_t c)
{
    switch (QChar::category(c)) {
    case QChar::Other_Control:
    case QChar::Other_Format:
    case QChar::Other_Surrogate:
    case QChar::Separator_Line:
    case QChar::Separator_Paragraph:
        return true;
    default:
        return false;
    }
}

QString escape(char32_t c)
{
    switch (c) {
    case U'\n':
        return u"\\n"_s;
    case U'\r':
        return u"\\r"_s;
    case U'\t':
        return u"\\t"_s;
    default:
        break;
    }
    if (c < 0x100)
        return u"\\x%1"_s.arg(static_cast<qulonglong>(c), 2, 16, QLatin1Char('0'));
    if (c < 0x10000)
        return u"\\u%1"_s.arg(static_cast<qulonglong>(c), 4, 16, QLatin1Char('0'));
    return u"\\U%1"_s.arg(static_cast<qulonglong>(c), 8, 16, QLatin1Char('0'));
}
}

QString ResponseLog::shownText(QStringView text)
{
    QString shown;
    shown.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar unit = text[i];
        char32_t c = unit.unicode();
        qsizetype units = 1;
        if (unit.isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            c = QChar::surrogateToUcs4(unit, text[i + 1]);
            units = 2;
        }
        if (isInvisible(c))
            shown += escape(c);
        else
            shown += text.mid(i, units);
        i += units - 1;
    }
    return shown;
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
    // Lines read left to right whatever their first letter: the time stamp leads.
    QTextOption option = document()->defaultTextOption();
    option.setTextDirection(Qt::LeftToRight);
    document()->setDefaultTextOption(option);
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
        const QString line = shownText(entry.text);
        QTextBlockFormat blockFormat;
        blockFormat.setLayoutDirection(Qt::LeftToRight);
        if (document()->isEmpty())
            cursor.setBlockFormat(blockFormat);
        else
            cursor.insertBlock(blockFormat);
        cursor.insertText(entry.time.toString(u"hh:mm:ss"_s) + u"  "_s, stampFormat);
        cursor.insertText(line, textFormat);
    }
    cursor.endEditBlock();
    m_pending.clear();

    if (atEnd)
        bar->setValue(bar->maximum());
}

void ResponseLog::copyToClipboard()
{
    flush();
    const QTextCursor selection = textCursor();
    QGuiApplication::clipboard()->setText(selection.hasSelection()
                                              ? selection.selection().toPlainText()
                                              : toPlainText());
}

void ResponseLog::clearLog()
{
    m_pending.clear();
    m_flushTimer->stop();
    clear();
}

Result<void> ResponseLog::saveTo(const QString &path)
{
    flush();
    QSaveFile file(path);
    QByteArray bytes = toPlainText().toUtf8();
    if (!bytes.isEmpty())
        bytes += '\n';
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return Error{u"Cannot save the log to \"%1\": %2"_s.arg(path, file.errorString())};
    return {};
}

void ResponseLog::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu *menu = createStandardContextMenu(event->pos());
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addSeparator();
    menu->addAction(u"Copy all"_s, this, [this] {
        QGuiApplication::clipboard()->setText(toPlainText());
    });
    menu->addAction(u"Clear"_s, this, &ResponseLog::clearLog);
    menu->popup(event->globalPos());
}
