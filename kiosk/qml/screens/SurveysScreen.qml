import QtQuick
import "../components"

Item {
    objectName: "surveysScreen"
    KText { id: head; text: "正在征求大家意见的事："; role: "body" }
    PagedList {
        anchors { left: parent.left; right: parent.right; top: head.bottom; bottom: parent.bottom; topMargin: theme.gapPx }
        pager: surveys.list
        fill: "purple"
        onPicked: (id) => surveys.open(id)
    }
}
