// 好差评: five big faces; touching one reads it aloud; 提交评价 sends it.
import QtQuick
import QtQuick.Layouts
import "../components"

ColumnLayout {
    objectName: "ratingScreen"
    spacing: theme.gapPx
    KText { Layout.fillWidth: true; text: rating.message !== "" ? rating.message : "您对本站的服务满意吗？请点一个表情。" }
    // Landscape: five faces side by side. Portrait: five rows, face left and word right.
    GridLayout {
        Layout.fillWidth: true; Layout.fillHeight: true
        columns: theme.portrait ? 1 : 5
        rowSpacing: theme.gapPx; columnSpacing: theme.gapPx
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
                GridLayout {
                    anchors { fill: parent; margins: theme.gapPx / 2 }
                    columns: theme.portrait ? 2 : 1
                    columnSpacing: theme.gapPx
                    Face { Layout.fillWidth: !theme.portrait; Layout.fillHeight: true
                           Layout.preferredWidth: theme.portrait ? height : -1; score: modelData.score; ink: "white" }
                    KText { Layout.alignment: theme.portrait ? Qt.AlignVCenter : Qt.AlignHCenter
                            Layout.fillWidth: theme.portrait
                            text: modelData.label; role: "label"
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
