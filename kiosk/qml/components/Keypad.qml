// Big digit keypad for the phone number and the staff code (no virtual keyboard needed).
import QtQuick
import QtQuick.Layouts

GridLayout {
    id: root
    signal digit(string d)
    signal erase()
    columns: 3
    rowSpacing: theme.gapPx
    columnSpacing: theme.gapPx
    Repeater {
        model: ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
        KButton {
            label: modelData; fill: "slate"; objectName: "key_" + modelData
            Layout.preferredWidth: theme.targetPx * 1.8
            onClicked: root.digit(modelData)
        }
    }
    Item { Layout.preferredWidth: theme.targetPx * 1.8; Layout.preferredHeight: theme.targetPx }
    KButton {
        label: "0"; fill: "slate"; objectName: "key_0"
        Layout.preferredWidth: theme.targetPx * 1.8
        onClicked: root.digit("0")
    }
    KButton {
        label: "删除"; fill: "brown"; objectName: "key_erase"
        Layout.preferredWidth: theme.targetPx * 1.8
        onClicked: root.erase()
    }
}
