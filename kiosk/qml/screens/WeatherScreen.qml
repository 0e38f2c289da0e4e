// Weather (cached, with its age) and the solar-term farming calendar.
import QtQuick
import QtQuick.Layouts
import "../components"

GridLayout {
    objectName: "weatherScreen"
    columns: theme.portrait ? 1 : 2
    rowSpacing: theme.marginPx; columnSpacing: theme.marginPx
    Card {
        Layout.fillWidth: true; Layout.fillHeight: true
        ColumnLayout {
            anchors { fill: parent; margins: theme.marginPx / 2 }
            KText { role: "label"; text: "天气" }
            Repeater {
                model: reading.weather
                KText { Layout.fillWidth: true; text: modelData.label + "：" + modelData.text }
            }
            Item { Layout.fillHeight: true }
            KText { role: "small"; text: reading.weatherUpdated }
        }
    }
    Card {
        Layout.fillWidth: true; Layout.fillHeight: true
        ColumnLayout {
            anchors { fill: parent; margins: theme.marginPx / 2 }
            KText { role: "label"; text: "农事提醒" }
            Repeater {
                model: theme.on ? reading.farming.slice(0, 2) : reading.farming.slice(0, 3)
                KText { Layout.fillWidth: true; text: modelData.label + "：" + modelData.text }
            }
            Item { Layout.fillHeight: true }
        }
    }
}
