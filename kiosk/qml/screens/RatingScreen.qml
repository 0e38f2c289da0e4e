// 好差评: five big faces; touching one reads it aloud; 提交评价 sends it.
import QtQuick
import QtQuick.Layouts
import "../components"

ColumnLayout {
    objectName: "ratingScreen"
    spacing: theme.gapPx
    KText { Layout.fillWidth: true; text: rating.message !== "" ? rating.message : "您对本站的服务满意吗？请点一个表情。" }
    RowLayout {
        Layout.fillWidth: true; Layout.fillHeight: true
        spacing: theme.gapPx
        Repeater {
            model: rating.faces
            Rectangle {
                objectName: "face_" + modelData.score
                readonly property bool isTarget: true
                Layout.fillWidth: true; Layout.fillHeight: true
                radius: 16
                color: theme.color[modelData.color]
                border.width: rating.score === modelData.score ? 10 : 0
                border.color: theme.color.ink
                Accessible.role: Accessible.Button
                Accessible.name: modelData.label
                ColumnLayout {
                    anchors { fill: parent; margins: theme.gapPx / 2 }
                    Face { Layout.fillWidth: true; Layout.fillHeight: true; score: modelData.score; ink: "white" }
                    KText { Layout.alignment: Qt.AlignHCenter; text: modelData.label; role: "label"
                            color: theme.color.onFill; wrapMode: Text.NoWrap; lineHeight: 1.0 }
                }
                MouseArea { anchors.fill: parent; onClicked: rating.choose(modelData.score) }
            }
        }
    }
    RowLayout {
        spacing: theme.gapPx
        KButton { objectName: "btnRate"; label: "提交评价"; fill: "green"; visible: !rating.sent
                  enabledLook: rating.score > 0; onClicked: rating.submit() }
        KButton { objectName: "btnRateUndo"; label: "撤回评价"; fill: "brown"; visible: rating.canUndo
                  onClicked: rating.undo() }
    }
}
