import QtQuick
import "../components"

Item {
    objectName: "noticesScreen"
    KText { id: head; text: "通知公告和村务公开："; role: "body" }
    PagedList {
        anchors { left: parent.left; right: parent.right; top: head.bottom; bottom: parent.bottom; topMargin: theme.gapPx }
        pager: reading.notices
        fill: "brown"
        onPicked: (id) => reading.openNotice(id)
    }
}
