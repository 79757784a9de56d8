#pragma once

#include <QWidget>

class MiningStatistics;

// The hash rate over the last 15 minutes, one point a second, as a line, with their
// average as a dashed line. Painted with QPainter from MiningStatistics'
// history (no copy of its own): a new point costs one repaint a second, and only
// while the chart is visible. Qt Charts would add a deprecated module and a package
// for a single line.
class HashRateChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HashRateChart)

public:
    explicit HashRateChart(const MiningStatistics &statistics, QWidget *parent = nullptr);
    ~HashRateChart() override;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    int plottedPoints() const { return m_plotted; }   // in the last paint
    double scaleMaximum() const { return m_scaleMaximum; }   // the top of the rate axis
    static QColor lineColor() { return QColor(0x1f, 0x6f, 0xb5); }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    const MiningStatistics &m_statistics;
    int m_plotted = 0;
    double m_scaleMaximum = 0;
};
