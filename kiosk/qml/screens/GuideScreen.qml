import QtQuick
import "../components"

Item {
    objectName: "guideScreen"
    KText { id: head; text: "您要办哪一类事？"; role: "body" }
    PagedList {
        anchors { left: parent.left; right: parent.right; top: head.bottom; bottom: parent.bottom; topMargin: theme.gapPx }
        pager: catalog.groups
        onPicked: (id) => catalog.openGroup(id)
    }
}
