// A touch target: at least theme.targetPx square, label on a >= 7:1 fill, instant pressed feedback.
import QtQuick

Rectangle {
    id: root
    property string label: ""
    property string fill: "blue"
    property string role: "label"
    property bool enabledLook: true
    readonly property bool isTarget: true   // found by tests/kiosk/test_ui_targets.py
    signal clicked()

    implicitHeight: theme.targetPx
    implicitWidth: Math.max(theme.targetPx, text.implicitWidth + 2 * theme.gapPx)
    radius: 12
    color: !enabledLook ? theme.color.slate : (area.pressed ? Qt.darker(theme.color[fill], 1.4) : theme.color[fill])
    border.width: area.pressed ? 6 : 0
    border.color: theme.color.ink
    opacity: enabledLook ? 1 : 0.999   // disabled look keeps contrast; the label says why
    Accessible.role: Accessible.Button
    Accessible.name: label
    Accessible.onPressAction: if (enabledLook) root.clicked()

    KText {
        id: text
        anchors.centerIn: parent
        width: Math.min(implicitWidth, root.width - 2 * 8)
        role: root.role
        text: root.label
        color: theme.color.onFill
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.NoWrap
        elide: Text.ElideNone
    }
    MouseArea {
        id: area
        anchors.fill: parent
        onClicked: if (root.enabledLook) root.clicked()
    }
}
