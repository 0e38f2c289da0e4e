// Home: 8 large tiles, two rows in landscape, four rows in portrait.
import QtQuick
import QtQuick.Layouts
import "../components"

Item {
    objectName: "homeScreen"
    GridLayout {
        anchors.fill: parent
        columns: parent.width > parent.height ? 4 : 2
        rowSpacing: theme.gapPx
        columnSpacing: theme.gapPx
        Repeater {
            model: nav.tiles
            Tile {
                objectName: "tile_" + modelData.screen
                Layout.fillWidth: true
                Layout.fillHeight: true
                label: modelData.label
                glyph: modelData.glyph
                fill: modelData.color
                onClicked: nav.go(modelData.screen)
            }
        }
    }
}
