#pragma once

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

// The Python-made vectors in tests/data/block_strings.json.
namespace TestVectors
{
inline QJsonObject load()
{
    QFile file(QStringLiteral(BLOCKFORGE_TEST_DATA "/block_strings.json"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", qPrintable(file.fileName()));
    return QJsonDocument::fromJson(file.readAll()).object();
}

inline QJsonArray vectors()
{
    return load().value(QStringLiteral("vectors")).toArray();
}
}
