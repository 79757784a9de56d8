#pragma once

#include <deque>
#include <vector>

#include <QAbstractTableModel>
#include <QByteArray>
#include <QString>

#include "core/miningsnapshot.h"
#include "core/result.h"

// The proofs this miner found and what the server answered, newest last, as a table
// (block index, proof, attempts, search time, answer, time) for a view, a sorting proxy
// (Qt::UserRole holds each cell's value to sort by) and a CSV export. Keeps the last
// MaxRows rows.
class FoundBlocksModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FoundBlocksModel)

public:
    enum Column { IndexColumn, ProofColumn, AttemptsColumn, SecondsColumn, AnswerColumn,
                  TimeColumn, ColumnCount };
    static constexpr int SortRole = Qt::UserRole;
    static constexpr int MaxRows = 10'000;

    explicit FoundBlocksModel(QObject *parent = nullptr);
    ~FoundBlocksModel() override;

    void add(const FoundBlock &block) { add(std::vector<FoundBlock>{block}); }
    void add(const std::vector<FoundBlock> &blocks);   // one insertion for all
    void clear();
    const FoundBlock &at(int row) const { return m_rows[static_cast<std::size_t>(row)]; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Every row as CSV (RFC 4180, UTF-8, CRLF): a header line, then one line per row
    // in the model's order. A text cell that a spreadsheet would run as a formula
    // (starting with = + - @) gets a leading apostrophe.
    QByteArray toCsv() const;
    Result<void> writeCsv(const QString &path) const;   // atomically (QSaveFile)

    static QString verdictText(FoundBlock::Verdict verdict);   // "accepted", ...

private:
    std::deque<FoundBlock> m_rows;
};
