import QtQuick
import "../components"

Item {
    objectName: "healthScreen"
    KText { id: head; text: "健康知识（要找村医，请点右上角“一键求助”）"; role: "body" }
    PagedList {
        anchors { left: parent.left; right: parent.right; top: head.bottom; bottom: parent.bottom; topMargin: theme.gapPx }
        pager: reading.health
        fill: "teal"
        onPicked: (id) => reading.openHealth(id)
    }
}
