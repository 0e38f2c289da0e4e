// One survey or consultation: the question in words, big answer buttons, undo before upload.
import QtQuick
import QtQuick.Layouts
import "../components"

ColumnLayout {
    objectName: "surveyScreen"
    spacing: theme.gapPx
    Card {
        Layout.fillWidth: true; Layout.fillHeight: true
        ColumnLayout {
            anchors { fill: parent; margins: theme.marginPx / 2 }
            KText { Layout.fillWidth: true; role: "label"; text: (surveys.current.kind || "") + "：" + (surveys.current.title || "") }
            KText { Layout.fillWidth: true; Layout.fillHeight: true; verticalAlignment: Text.AlignTop
                    text: surveys.current.answered ? "您已经选了：" + surveys.current.answer + "。谢谢参与！" : (surveys.current.body || "") }
        }
    }
    RowLayout {
        spacing: theme.gapPx
        visible: !surveys.current.answered
        Repeater {
            model: surveys.current.choices || []
            KButton { objectName: "choice_" + modelData.id; label: modelData.label; fill: "purple"
                      Layout.fillWidth: true; onClicked: surveys.vote(modelData.id) }
        }
    }
    KButton { objectName: "btnVoteUndo"; label: "撤回，重新选"; fill: "brown"
              visible: surveys.current.canUndo === true; onClicked: surveys.undo() }
}
