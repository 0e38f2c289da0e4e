import QtQuick
import "../components"

Item {
    objectName: "guideItemsScreen"
    KText { id: head; text: catalog.group; role: "body" }
    PagedList {
        anchors { left: parent.left; right: parent.right; top: head.bottom; bottom: parent.bottom; topMargin: theme.gapPx }
        pager: catalog.items
        onPicked: (id) => catalog.openItem(id)
    }
}
