// The help call as it really stands (help.message: queued, sent, who is notified, who is coming); close button bottom-centre (MIIT 2.4).
import QtQuick
import "components"

Rectangle {
    objectName: "helpOverlay"
    color: "#E6000000"
    MouseArea { anchors.fill: parent }
    Rectangle {
        anchors.centerIn: parent
        width: Math.min(parent.width - 2 * theme.marginPx, 1300)
        height: col.implicitHeight + 2 * theme.marginPx
        color: theme.color.card
        radius: 16
        Column {
            id: col
            anchors { left: parent.left; right: parent.right; top: parent.top; margins: theme.marginPx }
            spacing: theme.gapPx
            KText { width: parent.width; role: "title"; text: "一键求助" }
            KText { objectName: "helpMessage"; width: Math.min(parent.width, theme.bodyPx * theme.lineChars); text: help.message }
            KButton {
                objectName: "btnHelpClose"
                anchors.horizontalCenter: parent.horizontalCenter
                label: "关闭"; fill: "slate"
                onClicked: help.close()
            }
        }
    }
}
