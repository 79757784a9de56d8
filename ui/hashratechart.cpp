#include "ui/hashratechart.h"

#include <algorithm>
#include <cmath>

#include <QDateTime>
#include <QPainter>
#include <QPainterPath>

#include "core/miningstatistics.h"
#include "core/miningtext.h"

using namespace Qt::StringLiterals;

namespace
{
// 1, 2 or 5 times a power of ten, at least value.
double niceCeiling(double value)
{
    if (!(value > 0))
        return 1;
    const double power = std::pow(10.0, std::floor(std::log10(value)));
    for (double step : {1.0, 2.0, 5.0, 10.0}) {
        if (step * power >= value)
            return step * power;
    }
    return 10 * power;
}
}

HashRateChart::HashRateChart(const MiningStatistics &statistics, QWidget *parent)
    : QWidget{parent}
    , m_statistics{statistics}
{
    setObjectName(u"hashRateChart"_s);
    setAccessibleName(u"Hash rate over the last 15 minutes"_s);
    setToolTip(u"Hash rate, one point a second, over the last 15 minutes; the dashed line "
               "is the average of the points shown"_s);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setAttribute(Qt::WA_OpaquePaintEvent);
    connect(&statistics, &MiningStatistics::sampled, this, [this] { update(); });
}

HashRateChart::~HashRateChart() = default;

QSize HashRateChart::sizeHint() const
{
    return {480, 180};
}

QSize HashRateChart::minimumSizeHint() const
{
    return {240, 100};
}

void HashRateChart::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    const QFontMetrics metrics = fontMetrics();
    const std::deque<MiningStatistics::RatePoint> &history = m_statistics.rateHistory();

    double maximum = 0;
    double sum = 0;
    for (const MiningStatistics::RatePoint &p : history) {
        maximum = std::max(maximum, p.rate);
        sum += p.rate;
    }
    m_scaleMaximum = niceCeiling(maximum);
    const QString topText = MiningText::hashRate(m_scaleMaximum);
    const int left = metrics.horizontalAdvance(topText) + 8;
    const int bottom = metrics.height() + 4;
    const QRect plot(left, metrics.height() / 2, width() - left - 8,
                     height() - bottom - metrics.height() / 2);
    if (plot.width() < 10 || plot.height() < 10)
        return;

    // Axes, grid and labels.
    const QColor text = palette().color(QPalette::Text);
    QColor grid = palette().color(QPalette::Mid);
    painter.setPen(grid);
    for (int i = 0; i <= 4; ++i) {
        const int y = plot.top() + plot.height() * i / 4;
        painter.drawLine(plot.left(), y, plot.right(), y);
    }
    painter.setPen(text);
    painter.drawText(QRect(0, plot.top() - metrics.height() / 2, left - 4, metrics.height()),
                     Qt::AlignRight | Qt::AlignVCenter, topText);
    painter.drawText(QRect(0, plot.bottom() - metrics.height() / 2, left - 4, metrics.height()),
                     Qt::AlignRight | Qt::AlignVCenter, u"0"_s);
    const QRect timeAxis(plot.left(), plot.bottom() + 2, plot.width(), metrics.height());
    painter.drawText(timeAxis, Qt::AlignLeft | Qt::AlignTop, u"15 min ago"_s);
    painter.drawText(timeAxis, Qt::AlignHCenter | Qt::AlignTop, u"7.5 min ago"_s);
    painter.drawText(timeAxis, Qt::AlignRight | Qt::AlignTop, u"now"_s);

    m_plotted = 0;
    if (history.empty())
        return;
    const std::int64_t end = history.back().timeMs;
    const std::int64_t start = end - MiningStatistics::HistoryMs;
    auto pointAt = [&](const MiningStatistics::RatePoint &p) {
        const double x = plot.left()
            + plot.width() * static_cast<double>(p.timeMs - start)
                / static_cast<double>(MiningStatistics::HistoryMs);
        const double y = plot.bottom() - plot.height() * p.rate / m_scaleMaximum;
        return QPointF(x, y);
    };
    QPainterPath line;
    for (const MiningStatistics::RatePoint &p : history) {
        if (p.timeMs < start)
            continue;
        if (m_plotted++ == 0)
            line.moveTo(pointAt(p));
        else
            line.lineTo(pointAt(p));
    }
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setClipRect(plot.adjusted(-1, -1, 2, 2));
    painter.setPen(QPen(lineColor(), 2));
    painter.drawPath(line);

    const double average = sum / static_cast<double>(history.size());
    if (average > 0) {
        const double y = plot.bottom() - plot.height() * average / m_scaleMaximum;
        painter.setPen(QPen(lineColor().darker(140), 1, Qt::DashLine));
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
    }
}
