import QtQuick
import QtQuick.Layouts
import "../components"

Card {
    objectName: "guideItemScreen"
    ColumnLayout {
        anchors { fill: parent; margins: theme.marginPx }
        spacing: theme.gapPx / 2
        KText { Layout.fillWidth: true; role: "label"; text: catalog.item.name || "" }
        KText { Layout.fillWidth: true; text: catalog.item.here || ""; font.bold: true
                color: catalog.item.local ? theme.color.green : theme.color.red }
        KText { Layout.fillWidth: true; text: "要带：" + (catalog.item.materials || "") }
        KText { Layout.fillWidth: true; text: "地点：" + (catalog.item.where || "") }
        KText { Layout.fillWidth: true; text: "时限：" + (catalog.item.timeLimit || "") }
        Item { Layout.fillHeight: true }
    }
}
