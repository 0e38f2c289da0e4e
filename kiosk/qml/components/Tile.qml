// A home-screen service tile: a large glyph plus the service name.
import QtQuick

Rectangle {
    id: root
    property string label: ""
    property string glyph: ""
    property string fill: "blue"
    readonly property bool isTarget: true
    readonly property bool isTile: true
    signal clicked()

    radius: 16
    color: area.pressed ? Qt.darker(theme.color[fill], 1.4) : theme.color[fill]
    border.width: area.pressed ? 8 : 0
    border.color: theme.color.ink
    Accessible.role: Accessible.Button
    Accessible.name: label
    Accessible.onPressAction: root.clicked()

    Column {
        anchors.centerIn: parent
        spacing: theme.gapPx / 2
        KText {
            anchors.horizontalCenter: parent.horizontalCenter
            text: root.glyph
            role: "title"
            font.pixelSize: theme.titlePx * 1.6
            color: theme.color.onFill
            lineHeight: 1.0
        }
        KText {
            anchors.horizontalCenter: parent.horizontalCenter
            text: root.label
            role: "label"
            color: theme.color.onFill
            wrapMode: Text.NoWrap
            lineHeight: 1.0
        }
    }
    MouseArea {
        id: area
        anchors.fill: parent
        onClicked: root.clicked()
    }
}
