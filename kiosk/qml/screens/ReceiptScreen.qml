// The receipt: code (large), QR holding only the code, honest upload state, undo for 10 minutes.
import QtQuick
import QtQuick.Layouts
import "../components"

GridLayout {
    objectName: "receiptScreen"
    columns: theme.portrait ? 1 : 2
    rowSpacing: theme.marginPx; columnSpacing: theme.marginPx
    Card {
        Layout.fillWidth: true; Layout.fillHeight: true
        ColumnLayout {
            anchors { fill: parent; margins: theme.marginPx }
            spacing: theme.gapPx / 2
            KText { Layout.fillWidth: true; text: "已经收到您反映的事（" + receipt.category + "）" }
            KText { Layout.fillWidth: true; text: "查询码（请记下来）：" }
            KText { objectName: "receiptCode"; role: "title"; font.pixelSize: theme.titlePx * 1.5
                    font.letterSpacing: 8; text: receipt.code; lineHeight: 1.1 }
            KText { objectName: "receiptCodeNote"; Layout.fillWidth: true; text: receipt.codeNote
                    visible: receipt.codeNote !== ""; color: theme.color.red; font.bold: true }
            KText { objectName: "receiptState"; Layout.fillWidth: true; text: receipt.stateText }
            Item { Layout.fillHeight: true }
            RowLayout {
                spacing: theme.gapPx
                KButton { objectName: "btnReadCode"; label: "再读一遍查询码"; fill: "teal"; onClicked: receipt.readAgain() }
                KButton { objectName: "btnUndo"; label: "撤回"; fill: "brown"; visible: receipt.canUndo
                          onClicked: receipt.undo() }
            }
        }
    }
    Rectangle {
        Layout.alignment: theme.portrait ? Qt.AlignHCenter : Qt.AlignTop
        Layout.preferredWidth: qr.width + 32; Layout.preferredHeight: qr.height + 32
        color: "white"
        Image {
            id: qr
            objectName: "receiptQr"
            anchors.centerIn: parent
            width: 420; height: width
            source: receipt.qr
            smooth: false
        }
    }
}
