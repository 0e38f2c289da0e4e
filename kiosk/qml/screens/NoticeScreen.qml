import QtQuick
import QtQuick.Layouts
import "../components"

Card {
    objectName: "noticeScreen"
    ColumnLayout {
        anchors { fill: parent; margins: theme.marginPx }
        spacing: theme.gapPx / 2
        KText { Layout.fillWidth: true; role: "label"; text: reading.article.title || "" }
        KText { Layout.fillWidth: true; role: "small"; text: reading.article.meta || "" }
        KText { objectName: "articleBody"; Layout.fillWidth: true; Layout.maximumWidth: theme.bodyPx * theme.lineChars
                Layout.fillHeight: true; verticalAlignment: Text.AlignTop; text: reading.article.body || "" }
    }
}
