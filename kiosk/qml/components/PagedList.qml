// A tap-only paged list (no scrolling or swiping): rows as full-width buttons, then 上一页/下一页.
import QtQuick
import QtQuick.Layouts

ColumnLayout {
    id: root
    property var pager
    property string fill: "blue"
    signal picked(string id)
    spacing: theme.gapPx

    Repeater {
        model: root.pager.rows
        KButton {
            Layout.fillWidth: true
            label: modelData.label
            fill: root.fill
            objectName: "row_" + modelData.id
            onClicked: root.picked(modelData.id)
        }
    }
    Item { Layout.fillHeight: true }
    RowLayout {
        spacing: theme.gapPx
        visible: root.pager.hasPrev || root.pager.hasNext
        KButton {
            label: "上一页"; fill: "slate"; objectName: "pagePrev"
            enabledLook: root.pager.hasPrev
            onClicked: root.pager.prev()
        }
        KText { text: root.pager.pageLabel; role: "body" }
        KButton {
            label: "下一页"; fill: "slate"; objectName: "pageNext"
            enabledLook: root.pager.hasNext
            onClicked: root.pager.next()
        }
    }
}
