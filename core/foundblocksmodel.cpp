#include "core/foundblocksmodel.h"

#include <QLocale>
#include <QSaveFile>

#include "core/printable.h"

using namespace Qt::StringLiterals;

namespace
{
QString csvCell(QString text)
{
    if (!text.isEmpty() && (text[0] == u'=' || text[0] == u'+' || text[0] == u'-'
                            || text[0] == u'@' || text[0] == u'\t' || text[0] == u'\r'))
        text.prepend(u'\'');
    if (text.contains(u',') || text.contains(u'"') || text.contains(u'\n')
        || text.contains(u'\r'))
        return u'"' + text.replace(u'"', u"\"\""_s) + u'"';
    return text;
}
}

FoundBlocksModel::FoundBlocksModel(QObject *parent)
    : QAbstractTableModel{parent}
{
}

FoundBlocksModel::~FoundBlocksModel() = default;

void FoundBlocksModel::add(const std::vector<FoundBlock> &blocks)
{
    if (blocks.empty())
        return;
    const auto max = static_cast<std::size_t>(MaxRows);
    const std::size_t adding = std::min(blocks.size(), max);
    const std::size_t keep = std::min(m_rows.size(), max - adding);
    if (keep < m_rows.size()) {   // the oldest go first
        beginRemoveRows({}, 0, static_cast<int>(m_rows.size() - keep) - 1);
        m_rows.erase(m_rows.begin(), m_rows.end() - static_cast<std::ptrdiff_t>(keep));
        endRemoveRows();
    }
    const int row = static_cast<int>(m_rows.size());
    beginInsertRows({}, row, row + static_cast<int>(adding) - 1);
    m_rows.insert(m_rows.end(), blocks.end() - static_cast<std::ptrdiff_t>(adding), blocks.end());
    endInsertRows();
}

void FoundBlocksModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

int FoundBlocksModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int FoundBlocksModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FoundBlocksModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const FoundBlock &b = at(index.row());
    if (role == SortRole) {
        switch (index.column()) {
        case IndexColumn:
            return QVariant::fromValue<qint64>(b.blockIndex);
        case ProofColumn:
            return QVariant::fromValue<quint64>(b.proof);
        case AttemptsColumn:
            return QVariant::fromValue<quint64>(b.attempts);
        case SecondsColumn:
            return b.seconds;
        case AnswerColumn:
            return b.answer;
        case TimeColumn:
            return b.time;
        }
        return {};
    }
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case IndexColumn:
            return QString::number(b.blockIndex);
        case ProofColumn:
            return QString::number(b.proof);
        case AttemptsColumn:
            return QLocale().toString(b.attempts);
        case SecondsColumn:
            return u"%1 s"_s.arg(b.seconds, 0, 'f', 2);
        case AnswerColumn:
            return u"%1: %2"_s.arg(verdictText(b.verdict), Printable::escaped(b.answer));
        case TimeColumn:
            return b.time.toString(u"yyyy-MM-dd hh:mm:ss"_s);
        }
        return {};
    }
    if (role == Qt::ToolTipRole && index.column() == AnswerColumn)
        return u"%1 (sent to %2 as \"%3\")"_s.arg(Printable::escaped(b.answer),
                                                 b.serverUrl.toString(),
                                                 Printable::escaped(b.minerId));
    if (role == Qt::TextAlignmentRole && index.column() != AnswerColumn
        && index.column() != TimeColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant FoundBlocksModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case IndexColumn:
            return u"Block"_s;
        case ProofColumn:
            return u"Proof"_s;
        case AttemptsColumn:
            return u"Attempts"_s;
        case SecondsColumn:
            return u"Search time"_s;
        case AnswerColumn:
            return u"Answer"_s;
        case TimeColumn:
            return u"Time"_s;
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case IndexColumn:
            return u"The index of the block the proof was for"_s;
        case ProofColumn:
            return u"The proof found"_s;
        case AttemptsColumn:
            return u"Proofs tried in the search that found it"_s;
        case SecondsColumn:
            return u"How long that search took"_s;
        case AnswerColumn:
            return u"The server's verdict and answer"_s;
        case TimeColumn:
            return u"When the answer came"_s;
        }
    }
    return {};
}

QString FoundBlocksModel::verdictText(FoundBlock::Verdict verdict)
{
    switch (verdict) {
    case FoundBlock::Verdict::Accepted:
        return u"accepted"_s;
    case FoundBlock::Verdict::Stale:
        return u"stale"_s;
    case FoundBlock::Verdict::Rejected:
        return u"rejected"_s;
    case FoundBlock::Verdict::Error:
        return u"error"_s;
    }
    return {};
}

QByteArray FoundBlocksModel::toCsv() const
{
    QString csv = u"time,block,proof,attempts,search_seconds,verdict,reward,answer,node,miner_id\r\n"_s;
    for (const FoundBlock &b : m_rows) {
        const QStringList cells = {
            b.time.toString(Qt::ISODateWithMs),
            QString::number(b.blockIndex),
            QString::number(b.proof),
            QString::number(b.attempts),
            QString::number(b.seconds, 'f', 3),
            verdictText(b.verdict),
            QString::number(b.reward),
            csvCell(b.answer),
            csvCell(b.serverUrl.toString()),
            csvCell(b.minerId),
        };
        csv += cells.join(u',') + u"\r\n"_s;
    }
    return csv.toUtf8();
}

Result<void> FoundBlocksModel::writeCsv(const QString &path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{u"Cannot write %1: %2"_s.arg(path, file.errorString())};
    const QByteArray csv = toCsv();
    if (file.write(csv) != csv.size() || !file.commit())
        return Error{u"Cannot write %1: %2"_s.arg(path, file.errorString())};
    return {};
}
