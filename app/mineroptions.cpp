#include "app/mineroptions.h"

#include <QStringList>

#include "app/options.h"
#include "core/engines/engines.h"
#include "core/engines/searchengine.h"
#include "core/settings.h"
#include "core/validate.h"

using namespace Qt::StringLiterals;

Result<MinerOptions> MinerOptions::read(const Options &options)
{
    const QCommandLineParser &parser = options.parser;
    MinerOptions chosen;
    if (parser.isSet(options.url)) {
        QStringList nodes;
        for (const QString &value : parser.values(options.url)) {
            const Result<QList<QUrl>> urls = Validate::nodeUrls(value);
            if (!urls)
                return Error{u"--url: %1"_s.arg(urls.errorMessage())};
            for (const QUrl &url : *urls)
                nodes << url.toString();
        }
        chosen.nodes = nodes.join(u", "_s);
    }
    if (parser.isSet(options.threads)) {
        const Result<int> threads = Validate::threadCount(parser.value(options.threads));
        if (!threads)
            return Error{u"--threads: %1"_s.arg(threads.errorMessage())};
        chosen.threads = *threads;
    }
    if (parser.isSet(options.idFile)) {
        chosen.idFile = parser.value(options.idFile);
        if (chosen.idFile->isEmpty())
            return Error{u"--id-file: the path is empty"_s};
    }
    if (parser.isSet(options.engine)) {
        chosen.engine = parser.value(options.engine);
        if (*chosen.engine != Settings::autoEngine() && !Engines::find(*chosen.engine)) {
            QStringList names;
            for (const SearchEngine *available : Engines::available())
                names << available->name();
            return Error{u"--engine: '%1' is not available here (available: auto, %2)"_s.arg(
                *chosen.engine, names.join(u", "_s))};
        }
    }
    return chosen;
}
