// "Are you still there?" with a big countdown and one big button to continue, as often as needed.
import QtQuick
import "components"

Rectangle {
    objectName: "idleWarning"
    color: "#E6000000"
    MouseArea { anchors.fill: parent }   // swallow taps behind the dialog
    Rectangle {
        anchors.centerIn: parent
        width: Math.min(parent.width - 2 * theme.marginPx, 1200)
        height: col.implicitHeight + 2 * theme.marginPx
        color: theme.color.card
        radius: 16
        Column {
            id: col
            anchors { left: parent.left; right: parent.right; top: parent.top; margins: theme.marginPx }
            spacing: theme.gapPx
            KText { width: parent.width; role: "title"; text: "您还在吗？" }
            KText {
                objectName: "idleCountdown"
                width: parent.width
                text: idle.remaining + " 秒后将清除您填写的内容，回到首页。"
            }
            KButton {
                objectName: "btnStillHere"
                anchors.horizontalCenter: parent.horizontalCenter
                width: parent.width * 0.6
                label: "我还在，继续"; fill: "green"
                onClicked: idle.extend()
            }
            KButton {
                objectName: "btnLeave"
                anchors.horizontalCenter: parent.horizontalCenter
                label: "清除并离开"; fill: "brown"
                onClicked: session.finish()
            }
        }
    }
}
