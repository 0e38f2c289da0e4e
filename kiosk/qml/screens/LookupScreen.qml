// 查询进度: type the code (letters and digits on the keyboard), then the status in words.
import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import "../components"

ColumnLayout {
    objectName: "lookupScreen"
    spacing: theme.gapPx
    KText { text: "请输入回执上的查询码："; role: "body" }
    RowLayout {
        spacing: theme.gapPx
        Layout.fillWidth: true
        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: theme.targetPx
            color: theme.color.card; border.width: 3; border.color: theme.color.blue; radius: 8
            readonly property bool isTarget: true
            TextField {
                objectName: "lookupInput"
                anchors { fill: parent; margins: 6 }
                font.pixelSize: theme.labelPx
                font.family: "Noto Sans CJK SC"
                color: theme.color.ink
                background: null
                text: lookup.input
                onTextChanged: if (text !== lookup.input) lookup.setInput(text)
                inputMethodHints: Qt.ImhUppercaseOnly | Qt.ImhNoPredictiveText | Qt.ImhLatinOnly
            }
        }
        KButton { objectName: "btnQuery"; label: "查询"; fill: "green"
                  onClicked: { Qt.inputMethod.commit(); Qt.inputMethod.hide(); lookup.query() } }
    }
    Card {
        Layout.fillWidth: true; Layout.fillHeight: true
        visible: lookup.result !== ""
        KText { objectName: "lookupResult"; anchors { fill: parent; margins: theme.marginPx / 2 }
                verticalAlignment: Text.AlignTop; text: lookup.result }
    }
    Item { Layout.fillHeight: true; visible: lookup.result === "" }
}
