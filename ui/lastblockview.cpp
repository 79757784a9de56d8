#include "ui/lastblockview.h"

#include <cmath>
#include <utility>

#include <QDateTime>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QPlainTextEdit>

#include "core/block.h"
#include "core/canonicaljson.h"
#include "core/printable.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
constexpr int TransactionLines = 4;
const QString Dash = u"\u2014"_s;

QLabel *valueLabel(const QString &objectName, bool monospace, QWidget *parent)
{
    auto *label = new QLabel(Dash, parent);
    label->setObjectName(objectName);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    label->setWordWrap(false);
    if (monospace)
        label->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    return label;
}

// A JSON scalar as a person reads it: strings without quotes, numbers as written.
QString scalarText(const Json &value)
{
    if (value.is_string())
        return QString::fromStdString(value.get<std::string>());
    return QString::fromUtf8(CanonicalJson::dump(value));
}

QString describe(const Json &transaction)
{
    const bool classic = transaction.is_object() && transaction.contains("sender")
        && transaction.contains("recipient") && transaction.contains("amount");
    if (!classic)
        return QString::fromUtf8(CanonicalJson::dump(transaction));
    const QString sender = scalarText(transaction["sender"]);
    const QString recipient = scalarText(transaction["recipient"]);
    const QString amount = scalarText(transaction["amount"]);
    if (sender == u"0"_s)
        return u"%1 gets %2 (reward)"_s.arg(recipient, amount);
    return u"%1 \u2192 %2: %3"_s.arg(sender, recipient, amount);
}

QString timeText(double timestamp)
{
    if (!std::isfinite(timestamp))
        return Dash;
    const auto ms = static_cast<qint64>(std::llround(timestamp * 1000.0));
    const QDateTime time = QDateTime::fromMSecsSinceEpoch(ms);
    return u"%1  (%2)"_s.arg(time.toString(u"yyyy-MM-dd hh:mm:ss"_s),
                             QString::fromStdString(CanonicalJson::formatDouble(timestamp)));
}
}

LastBlockView::LastBlockView(QWidget *parent)
    : QWidget{parent}
    , m_index{valueLabel(u"lastBlockIndex"_s, false, this)}
    , m_hash{valueLabel(u"lastBlockHash"_s, true, this)}
    , m_previousHash{valueLabel(u"lastBlockPreviousHash"_s, true, this)}
    , m_proof{valueLabel(u"lastBlockProof"_s, true, this)}
    , m_time{valueLabel(u"lastBlockTime"_s, false, this)}
    , m_transactions{new QPlainTextEdit(this)}
{
    QFont indexFont = m_index->font();
    indexFont.setBold(true);
    m_index->setFont(indexFont);

    m_transactions->setObjectName(u"lastBlockTransactions"_s);
    m_transactions->setReadOnly(true);
    m_transactions->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_transactions->setPlaceholderText(u"No transactions"_s);
    const int lineHeight = m_transactions->fontMetrics().lineSpacing();
    m_transactions->setFixedHeight(lineHeight * TransactionLines + 12);

    // Screen readers name each figure; the tooltips say what it is.
    const std::pair<QWidget *, std::pair<QString, QString>> described[] = {
        {m_index, {u"Last block index"_s, u"The position of the last block in the chain"_s}},
        {m_hash, {u"Last block hash"_s, u"SHA-256 of the last block's canonical JSON"_s}},
        {m_previousHash, {u"Previous block hash"_s, u"The hash of the block before it"_s}},
        {m_proof, {u"Last block proof"_s, u"The proof that forged the last block"_s}},
        {m_time, {u"Last block time"_s, u"When it was forged: local time (raw timestamp)"_s}},
        {m_transactions, {u"Last block transactions"_s,
                          u"The last block's transactions, one per line"_s}}};
    for (const auto &[widget, texts] : described) {
        widget->setAccessibleName(texts.first);
        widget->setToolTip(texts.second);
    }

    auto *form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(u"Index:"_s, m_index);
    form->addRow(u"Hash:"_s, m_hash);
    form->addRow(u"Previous hash:"_s, m_previousHash);
    form->addRow(u"Proof:"_s, m_proof);
    form->addRow(u"Time:"_s, m_time);
    form->addRow(u"Transactions:"_s, m_transactions);
}

LastBlockView::~LastBlockView() = default;

void LastBlockView::setBlock(const Block &block)
{
    m_index->setText(QString::number(block.index()));
    m_hash->setText(QString::fromLatin1(block.hash()));
    m_previousHash->setText(block.previousHash());
    m_proof->setText(QString::number(block.proof()));
    m_time->setText(timeText(block.timestamp()));
    m_transactions->setPlainText(describeTransactions(block));
}

QString LastBlockView::describeTransactions(const Block &block)
{
    QStringList lines;
    for (const Json &transaction : block.transactions())
        lines << Printable::escaped(describe(transaction));   // no bidi or control tricks
    return lines.join(u'\n');
}
