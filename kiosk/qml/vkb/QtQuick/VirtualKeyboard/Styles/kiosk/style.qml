// The kiosk's keyboard style (QT_VIRTUALKEYBOARD_STYLE=kiosk): keys sized from
// the theme (kiosk.md: keys >= 120x100 px, elder ~150 px), high contrast, Chinese words on the
// function keys. Written for the kiosk on KeyboardStyle's documented properties; nothing copied
// from Qt's built-in styles.
import QtQuick
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Styles
import "../../../../../components"

KeyboardStyle {
    id: style
    // One design px = one screen px: the keyboard is as tall as its rows need.
    keyboardDesignWidth: keyboard.width > 0 ? keyboard.width : 1920
    keyboardDesignHeight: theme.keyRows * theme.keyPx + 2 * theme.keyGapPx
    keyboardRelativeLeftMargin: theme.keyGapPx / keyboardDesignWidth
    keyboardRelativeRightMargin: theme.keyGapPx / keyboardDesignWidth
    keyboardRelativeTopMargin: theme.keyGapPx / keyboardDesignHeight
    keyboardRelativeBottomMargin: theme.keyGapPx / keyboardDesignHeight

    keyboardBackground: Rectangle { color: theme.color.bar }

    keyPanel: KeyFace {}
    backspaceKeyPanel: KeyFace { label: "删除"; functional: true }
    enterKeyPanel: KeyFace { label: control && control.displayText !== "" ? control.displayText : "换行"; functional: true }
    hideKeyPanel: KeyFace { label: "收起"; functional: true }
    shiftKeyPanel: KeyFace { label: "大写"; functional: true }
    spaceKeyPanel: KeyFace { label: "空格"; functional: true }
    symbolKeyPanel: KeyFace { functional: true }
    modeKeyPanel: KeyFace { functional: true }
    languageKeyPanel: KeyFace { label: "语言"; functional: true }

    // The letter shown large above the finger while a key is held.
    characterPreviewMargin: 0
    characterPreviewDelegate: Rectangle {
        property string text
        property string flickLeft
        property string flickTop
        property string flickRight
        property string flickBottom
        color: theme.color.blue
        radius: 10
        KText {
            anchors.centerIn: parent
            role: "title"
            text: parent.text
            font.pixelSize: theme.titlePx * 1.5
            color: theme.color.onFill
            wrapMode: Text.NoWrap
            lineHeight: 1.0
        }
    }

    alternateKeysListItemWidth: theme.keyPx
    alternateKeysListItemHeight: theme.keyPx
    alternateKeysListDelegate: Item {
        width: theme.keyPx
        height: theme.keyPx
        KText { anchors.centerIn: parent; role: "label"; text: model.text; color: theme.color.onFill; wrapMode: Text.NoWrap; lineHeight: 1.0 }
    }
    alternateKeysListHighlight: Rectangle { color: theme.color.green; radius: 10 }
    alternateKeysListBackground: Rectangle { color: theme.color.blue; radius: 10 }

    // Pinyin candidates are shown by our own bar (kiosk/qml/vkb/CandidateBar.qml), paged by
    // taps: the built-in bar can only be swiped. Height 0 hides it; the delegate is as wide as
    // the hidden list so that it never builds more than one or two of them.
    selectionListHeight: 0
    selectionListDelegate: SelectionListItem { width: ListView.view ? ListView.view.width : 0 }
    selectionListHighlight: Item {}
    selectionListBackground: Item {}

    popupListDelegate: SelectionListItem {
        width: Math.max(theme.keyMinWidthPx, popupWord.implicitWidth + 2 * theme.gapPx)
        height: theme.candidatePx
        KText { id: popupWord; anchors.centerIn: parent; role: "label"; text: display; color: theme.color.onFill; wrapMode: Text.NoWrap; lineHeight: 1.0 }
    }
    popupListHighlight: Rectangle { color: theme.color.green; radius: 10 }
    popupListBackground: Rectangle { color: theme.color.blue }

    navigationHighlight: Rectangle { color: "transparent"; border.color: "#FFFF00"; border.width: 6 }
}
